/**
 * Every text of the UI, in English and Korean. `{name}` marks a value filled in at run time.
 * The Korean table is typed against the English keys, so a missing entry fails the build;
 * messages.test.ts also checks the placeholders match.
 */
export const LANGS = ['en', 'ko'] as const
export type Lang = (typeof LANGS)[number]

export const LANG_NAMES: Record<Lang, string> = { en: 'English', ko: '한국어' }

const en = {
  'shell.appName': 'Academy',
  'shell.language': 'Language',
  'shell.logout': 'Log out',
  'common.loading': 'Loading…',

  'nav.upload': 'Upload video',
  'nav.import': 'Import students',
  'nav.messages': 'Send message',
  'nav.ai': 'AI grading',
  'nav.notFound': 'No page at {path}.',

  'login.title': 'Sign in',
  'login.username': 'Username',
  'login.password': 'Password',
  'login.tenant': 'Academy (tenant) ID',
  'login.submit': 'Sign in',
  'login.submitting': 'Signing in…',
  'login.expired': 'Your session has expired or was rejected (401). Please sign in again.',
  'login.loggedOut': 'You have signed out.',

  'error.network': 'Could not reach the server. Check the connection and try again.',
  'error.http': 'The server answered with an error (HTTP {status}).',

  'status.PENDING': 'Waiting',
  'status.PROCESSING': 'In progress',
  'status.READY': 'Ready',
  'status.DONE': 'Done',
  'status.FAILED': 'Failed',
  'status.UNKNOWN': 'Checking…',

  'jobType.excel_student_import': 'Student import',
  'jobType.short_answer_grading': 'Short-answer grading',

  'eta.seconds': 'about {n} s left',
  'eta.minutes': 'about {n} min left',
  'eta.hours': 'about {h} h {m} min left',

  'tasks.title': 'Running tasks',
  'tasks.empty': 'No tasks are running.',
  'tasks.clearFinished': 'Clear finished',
  'task.video': 'Video {id}',
  'task.job': 'Job {id}',
  'task.stepOf': 'Step {index} of {total}: {name}',
  'task.retrying': 'Could not get the progress. Trying again in {seconds} s.',
  'task.stoppedNotFound': 'This task was not found (404). Stopped checking it.',
  'task.stoppedUnauthorized': 'Not signed in (401). Stopped checking this task.',
  'task.dismiss': 'Dismiss',

  'job.statusLine': 'Job {id}:',
  'job.failed': 'The job failed.',

  'upload.title': 'Upload a video',
  'upload.videoTitle': 'Title',
  'upload.file': 'Video file',
  'upload.submit': 'Upload',
  'upload.cancel': 'Cancel',
  'upload.cancelled': 'Upload cancelled.',
  'upload.progress': 'Upload progress',
  'upload.starting': 'Starting upload…',
  'upload.sent': '{loaded} of {total} sent',
  'upload.done': 'Uploaded. Encoding has started; follow it in the tasks panel.',
  'upload.openVideo': 'Open the video page',

  'video.status': 'Status',
  'video.duration': 'Duration',
  'video.noPlaybackUrl': 'The video is ready but has no playback URL yet.',
  'video.hlsUnsupported': 'This browser cannot play HLS video.',
  'video.playerLoadFailed': 'The video player could not be loaded: {reason}',
  'video.playbackFailed': 'The video could not be played.',

  'import.title': 'Import students from Excel',
  'import.help':
    'Columns: name, parent_phone, phone, school, school_type, grade, class, major, gender, memo. Rows with errors are listed; the others are imported.',
  'import.file': 'Excel file (.xlsx)',
  'import.password': 'Initial password for new students',
  'import.dryRun': 'Dry run: check the file without saving anything',
  'import.submit': 'Import',
  'import.dryRunNote': 'Dry run: nothing was saved.',
  'import.created': 'Created',
  'import.restored': 'Restored',
  'import.skipped': 'Already there (skipped)',
  'import.failedCount': 'Failed rows',
  'import.total': 'Rows in file',
  'import.col.row': 'Row',
  'import.col.name': 'Name',
  'import.col.reason': 'Reason',
  'import.downloadFailed': 'Download failed rows (CSV)',

  'message.title': 'Send a message',
  'message.to': 'Send to',
  'message.modeRecipients': 'Phone numbers or e-mail addresses',
  'message.modeStudents': 'Student IDs',
  'message.recipientsHelp': 'Recipients, one per line (or separated by commas)',
  'message.studentsHelp': 'Student IDs, one per line (or separated by commas)',
  'message.body': 'Message',
  'message.submit': 'Send',
  'message.noTargets': 'Enter at least one recipient.',
  'message.badStudentId': '"{value}" is not a student ID (a whole number).',
  'message.summary': 'Sent {sent} of {total}; {failed} failed.',
  'message.col.recipient': 'Recipient',
  'message.col.reason': 'Reason',

  'ai.title': 'AI short-answer grading',
  'ai.help':
    'One item per line: the answer key as "question | answer", submissions as "student: answer 1 | answer 2 | …". JSON in the API’s shape works too.',
  'ai.answerKey': 'Answer key',
  'ai.submissions': 'Submissions',
  'ai.submit': 'Grade',
  'ai.problem.json': '{field}: not valid JSON of the expected shape ({message}).',
  'ai.problem.keyLine': 'Answer key, line {line}: write it as "question | answer".',
  'ai.problem.submissionLine': 'Submissions, line {line}: write it as "student: answer 1 | answer 2".',
  'ai.problem.empty': '{field}: nothing entered.',
  'ai.problem.answerCount': '{student} has {got} answers; the answer key has {expected} questions.',
} satisfies Record<string, string>

export type MessageKey = keyof typeof en

const ko: Record<MessageKey, string> = {
  'shell.appName': '아카데미',
  'shell.language': '언어',
  'shell.logout': '로그아웃',
  'common.loading': '불러오는 중…',

  'nav.upload': '영상 업로드',
  'nav.import': '학생 가져오기',
  'nav.messages': '메시지 발송',
  'nav.ai': 'AI 채점',
  'nav.notFound': '{path} 페이지가 없습니다.',

  'login.title': '로그인',
  'login.username': '아이디',
  'login.password': '비밀번호',
  'login.tenant': '학원(테넌트) ID',
  'login.submit': '로그인',
  'login.submitting': '로그인 중…',
  'login.expired': '세션이 만료되었거나 거부되었습니다(401). 다시 로그인해 주세요.',
  'login.loggedOut': '로그아웃되었습니다.',

  'error.network': '서버에 연결할 수 없습니다. 연결을 확인하고 다시 시도해 주세요.',
  'error.http': '서버가 오류로 응답했습니다(HTTP {status}).',

  'status.PENDING': '대기 중',
  'status.PROCESSING': '진행 중',
  'status.READY': '준비 완료',
  'status.DONE': '완료',
  'status.FAILED': '실패',
  'status.UNKNOWN': '확인 중…',

  'jobType.excel_student_import': '학생 가져오기',
  'jobType.short_answer_grading': '단답형 채점',

  'eta.seconds': '약 {n}초 남음',
  'eta.minutes': '약 {n}분 남음',
  'eta.hours': '약 {h}시간 {m}분 남음',

  'tasks.title': '진행 중인 작업',
  'tasks.empty': '진행 중인 작업이 없습니다.',
  'tasks.clearFinished': '끝난 작업 지우기',
  'task.video': '영상 {id}',
  'task.job': '작업 {id}',
  'task.stepOf': '{total}단계 중 {index}단계: {name}',
  'task.retrying': '진행 상황을 가져오지 못했습니다. {seconds}초 후 다시 시도합니다.',
  'task.stoppedNotFound': '작업을 찾을 수 없습니다(404). 확인을 멈췄습니다.',
  'task.stoppedUnauthorized': '로그인되어 있지 않습니다(401). 이 작업의 확인을 멈췄습니다.',
  'task.dismiss': '닫기',

  'job.statusLine': '작업 {id}:',
  'job.failed': '작업이 실패했습니다.',

  'upload.title': '영상 업로드',
  'upload.videoTitle': '제목',
  'upload.file': '영상 파일',
  'upload.submit': '업로드',
  'upload.cancel': '취소',
  'upload.cancelled': '업로드를 취소했습니다.',
  'upload.progress': '업로드 진행률',
  'upload.starting': '업로드를 시작하는 중…',
  'upload.sent': '{total} 중 {loaded} 전송',
  'upload.done': '업로드했습니다. 인코딩이 시작되었으니 작업 목록에서 확인하세요.',
  'upload.openVideo': '영상 페이지 열기',

  'video.status': '상태',
  'video.duration': '길이',
  'video.noPlaybackUrl': '영상은 준비되었지만 아직 재생 주소가 없습니다.',
  'video.hlsUnsupported': '이 브라우저는 HLS 영상을 재생할 수 없습니다.',
  'video.playerLoadFailed': '영상 플레이어를 불러오지 못했습니다: {reason}',
  'video.playbackFailed': '영상을 재생할 수 없습니다.',

  'import.title': '엑셀로 학생 가져오기',
  'import.help':
    '열: name, parent_phone, phone, school, school_type, grade, class, major, gender, memo. 오류가 있는 행은 목록으로 보여 주고 나머지는 가져옵니다.',
  'import.file': '엑셀 파일(.xlsx)',
  'import.password': '새 학생의 초기 비밀번호',
  'import.dryRun': '시험 실행: 저장하지 않고 파일만 검사',
  'import.submit': '가져오기',
  'import.dryRunNote': '시험 실행이라 아무것도 저장하지 않았습니다.',
  'import.created': '새로 만듦',
  'import.restored': '복원함',
  'import.skipped': '이미 있음(건너뜀)',
  'import.failedCount': '실패한 행',
  'import.total': '파일의 행 수',
  'import.col.row': '행',
  'import.col.name': '이름',
  'import.col.reason': '사유',
  'import.downloadFailed': '실패한 행 내려받기(CSV)',

  'message.title': '메시지 보내기',
  'message.to': '받는 사람',
  'message.modeRecipients': '전화번호 또는 이메일',
  'message.modeStudents': '학생 ID',
  'message.recipientsHelp': '받는 사람, 한 줄에 하나씩(또는 쉼표로 구분)',
  'message.studentsHelp': '학생 ID, 한 줄에 하나씩(또는 쉼표로 구분)',
  'message.body': '내용',
  'message.submit': '보내기',
  'message.noTargets': '받는 사람을 한 명 이상 입력해 주세요.',
  'message.badStudentId': '"{value}"은(는) 학생 ID(정수)가 아닙니다.',
  'message.summary': '{total}건 중 {sent}건 발송, {failed}건 실패.',
  'message.col.recipient': '받는 사람',
  'message.col.reason': '사유',

  'ai.title': 'AI 단답형 채점',
  'ai.help':
    '한 줄에 하나씩: 정답은 "문제 | 정답", 제출 답안은 "학생: 답 1 | 답 2 | …" 형식으로 입력합니다. API 형식의 JSON도 됩니다.',
  'ai.answerKey': '정답',
  'ai.submissions': '제출 답안',
  'ai.submit': '채점하기',
  'ai.problem.json': '{field}: 올바른 형식의 JSON이 아닙니다({message}).',
  'ai.problem.keyLine': '정답 {line}번째 줄: "문제 | 정답" 형식으로 써 주세요.',
  'ai.problem.submissionLine': '제출 답안 {line}번째 줄: "학생: 답 1 | 답 2" 형식으로 써 주세요.',
  'ai.problem.empty': '{field}: 입력한 내용이 없습니다.',
  'ai.problem.answerCount': '{student} 학생의 답은 {got}개인데 정답은 {expected}문항입니다.',
}

export const messages: Record<Lang, Record<MessageKey, string>> = { en, ko }
