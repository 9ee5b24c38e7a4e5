"""Two web nodes and two worker nodes on one machine: run by `make test-scale`.

Nothing is shared between nodes but the services a real deployment shares: PostgreSQL
(through PgBouncer), the Redis Cluster (progress), SQS (the broker, moto's server) and S3
(uploads and HLS output, moto's server). Each node has its own MEDIA_ROOT, TMPDIR and
upload temp dir. A video uploaded on web node 1 is encoded by worker node 2 and plays from
both web nodes, its segments straight from storage; a roster import runs the same way.
"""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import requests
from django.conf import settings

from academy.testdata.clips import generate_test_clip
from academy.testdata.roster import generate_rows, write_roster_xlsx

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.skipif(not (os.environ.get("MOTO_URL") and settings.BROKER_IS_SQS
                            and "S3Storage" in settings.STORAGES["default"]["BACKEND"]),
                       reason="needs SQS and S3 (moto), the cluster and PgBouncer: make test-scale"),
    pytest.mark.slow,
]


def _free_port(start: int) -> int:
    sys.path.insert(0, str(ROOT / "scripts"))
    import services  # scripts/services.py

    return services.free_port(start)


class Node:
    """One process of the topology with its own directories and log."""

    def __init__(self, name: str, base: Path):
        self.name = name
        self.dir = base / name
        for sub in ("media", "tmp", "var"):
            (self.dir / sub).mkdir(parents=True)
        self.log = self.dir / "log.txt"
        self.proc: subprocess.Popen | None = None
        self.url = ""

    def env(self, common: dict) -> dict:
        return {**common, "MEDIA_ROOT": str(self.dir / "media"), "TMPDIR": str(self.dir / "tmp"),
                "FILE_UPLOAD_TEMP_DIR": str(self.dir / "tmp"), "ACADEMY_VAR_DIR": str(self.dir / "var")}

    def start(self, args: list[str], common: dict) -> None:
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(args, env=self.env(common), cwd=ROOT, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True)

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def local_files(self, sub: str) -> list[str]:
        return sorted(str(p.relative_to(self.dir)) for p in (self.dir / sub).rglob("*") if p.is_file())


def _wait(predicate, *, timeout: float, what: str, nodes: list[Node]):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        dead = [n.name for n in nodes if n.proc is not None and n.proc.poll() is not None]
        assert not dead, f"{dead} exited while waiting for {what}: " + "\n".join(n.text()[-3000:] for n in nodes)
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}:\n" + "\n".join(n.text()[-3000:] for n in nodes))


@pytest.fixture
def topology(transactional_db, tmp_path):
    """Start web and worker nodes on demand (web(name), worker(name, ...)); stop all afterwards."""
    db = settings.DATABASES["default"]
    common = dict(os.environ)
    common.pop("PROMETHEUS_MULTIPROC_DIR", None)
    # The children use the test database, through PgBouncer like this process.
    common["DATABASE_URL"] = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    common["VIDEO_PROGRESS_INTERVAL"] = "0.3"
    nodes: dict[str, Node] = {}

    def web(name: str) -> Node:
        node = nodes[name] = Node(name, tmp_path)
        port = _free_port(28180 + 10 * len(nodes))
        node.url = f"http://127.0.0.1:{port}"
        node.start([sys.executable, "-m", "gunicorn", "-c", "academy/gunicorn_conf.py", "academy.wsgi:application",
                    "--bind", f"127.0.0.1:{port}", "--workers", "1", "--timeout", "120"], common)
        _wait(lambda: _healthy(node.url), timeout=60, what=f"{name} /healthz", nodes=[node])
        return node

    def worker(name: str, *, queue: str = f"{settings.VIDEO_QUEUE},{settings.JOBS_QUEUE}",
               env: dict | None = None) -> Node:
        node = nodes[name] = Node(name, tmp_path)
        node.start([sys.executable, "-m", "celery", "-A", "academy", "worker", "--pool=solo", "--loglevel=INFO",
                    "--without-gossip", "--without-mingle", "--without-heartbeat", "--hostname", f"{name}@scale",
                    "-Q", queue], {**common, **(env or {})})
        _wait(lambda: " ready." in node.text(), timeout=60, what=f"{name} ready", nodes=[node])
        return node

    try:
        yield {"web": web, "worker": worker, "nodes": nodes}
    finally:
        for node in nodes.values():
            node.stop()


def _healthy(url: str) -> bool:
    try:
        return requests.get(f"{url}/healthz", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def _upload(web: Node, token: str, clip: Path, title: str) -> int:
    with open(clip, "rb") as f:
        answer = requests.post(f"{web.url}/media/videos/", headers={"Authorization": f"Bearer {token}"},
                               files={"file": ("lecture.mp4", f, "video/mp4")}, data={"title": title}, timeout=60)
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def _until_ended(web: Node, token: str, path: str, *, nodes: list[Node]) -> dict:
    def ended():
        body = requests.get(f"{web.url}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=10).json()
        return body if body["status"] in ("READY", "DONE", "FAILED") else None

    return _wait(ended, timeout=180, what=f"{path} to end", nodes=nodes)


def _plays_from(web: Node, token: str, video_id: int) -> float:
    """Check a video plays through this web node; return the duration ffprobe reads."""
    detail = requests.get(f"{web.url}/media/videos/{video_id}/", headers={"Authorization": f"Bearer {token}"},
                          timeout=10).json()
    assert detail["status"] == "READY", detail
    master_url = urljoin(web.url, detail["playback_url"])
    master = requests.get(master_url, timeout=10)
    assert master.status_code == 200 and master.text.startswith("#EXTM3U"), master.text
    variant_name = next(line for line in master.text.splitlines() if line and not line.startswith("#"))
    assert not variant_name.startswith("http"), "variant playlists stay on our signed path"
    variant = requests.get(master_url.rsplit("/", 1)[0] + "/" + variant_name, timeout=10)
    segments = [line for line in variant.text.splitlines() if line and not line.startswith("#")]
    moto = urlsplit(os.environ["MOTO_URL"]).netloc
    # Every segment comes from storage itself, by a presigned URL: no web worker streams video.
    assert segments and all(urlsplit(s).netloc == moto and "X-Amz-Signature=" in s for s in segments), segments[:2]
    first = requests.get(segments[0], timeout=10)
    assert first.status_code == 200 and first.content[:1] == b"\x47", "an MPEG-TS segment"
    # A segment asked of the web node is a redirect to storage, never a body.
    segment_name = urlsplit(segments[0]).path.rsplit("/", 1)[1]
    redirect = requests.get(master_url.rsplit("/", 1)[0] + "/" + variant_name.rsplit("/", 1)[0] + "/" + segment_name,
                            allow_redirects=False, timeout=10)
    assert redirect.status_code == 302 and urlsplit(redirect.headers["Location"]).netloc == moto
    poster = requests.get(urljoin(web.url, detail["poster_url"]), allow_redirects=False, timeout=10)
    assert poster.status_code == 302 and urlsplit(poster.headers["Location"]).netloc == moto
    # The whole chain as a player walks it: master and variant from the web node, segments from S3.
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
                          master_url], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return float(out.stdout.strip())


def _encoded_by(nodes: list[Node], video_id: int) -> list[str]:
    pattern = re.compile(rf"video {video_id} attempt 1 encoded ")
    return [node.name for node in nodes for line in node.text().splitlines() if pattern.search(line)]


def test_upload_on_one_node_encodes_on_another_and_plays_from_both(topology, make_member, tmp_path):
    _, _, token = make_member()
    web1, web2 = topology["web"]("web1"), topology["web"]("web2")
    clip = Path(generate_test_clip(tmp_path / "lecture.mp4", seconds=5, width=320, height=240))

    # Phase 1: only worker node 2 runs, so web node 1's upload can only be encoded there.
    worker2 = topology["worker"]("worker2")
    first = _upload(web1, token, clip, "Lecture 1")
    done = _until_ended(web2, token, f"/media/videos/{first}/progress/", nodes=[web1, web2, worker2])
    assert done["status"] == "READY", done
    assert _encoded_by([worker2], first) == ["worker2"]
    for web in (web1, web2):
        assert abs(_plays_from(web, token, first) - 5.0) < 0.5

    # Phase 2: both worker nodes take from the one queue; a second video and an import.
    worker1 = topology["worker"]("worker1")
    workers = [worker1, worker2]
    second = _upload(web2, token, clip, "Lecture 2")
    xlsx = write_roster_xlsx(tmp_path / "roster.xlsx", generate_rows(50, seed=3, invalid_every=10))
    with open(xlsx, "rb") as f:
        answer = requests.post(f"{web1.url}/api/v1/students/import/", headers={"Authorization": f"Bearer {token}"},
                               files={"file": ("roster.xlsx", f)}, data={"initial_password": "first-pass-123"},
                               timeout=60)
    assert answer.status_code == 202, answer.text
    job_id = answer.json()["job_id"]
    job = _until_ended(web2, token, f"/api/v1/jobs/{job_id}/progress/", nodes=[web1, web2, *workers])
    assert job["status"] == "DONE", job
    assert job["result"]["created"] + len(job["result"]["failed"]) == 50 and job["result"]["failed"]
    video = _until_ended(web1, token, f"/media/videos/{second}/progress/", nodes=[web1, web2, *workers])
    assert video["status"] == "READY", video
    for web in (web1, web2):
        assert abs(_plays_from(web, token, second) - 5.0) < 0.5

    # Each task ran exactly once, on some worker node.
    assert len(_encoded_by(workers, first)) == 1 and len(_encoded_by(workers, second)) == 1
    ran_job = [n.name for n in workers if re.search(r"job_run\[[^\]]+\] succeeded in [0-9.]+s: 'DONE'", n.text())]
    assert len(ran_job) == 1, "the import ran once"
    print(f"video {first}: web1 -> worker2; video {second}: web2 -> {_encoded_by(workers, second)[0]}; "
          f"import: web1 -> {ran_job[0]}")

    # Nothing went to any node's own disk for keeps: uploads, output and rosters are in S3,
    # and each worker's temp space is empty again.
    for node in topology["nodes"].values():
        assert node.local_files("media") == [], node.name
        assert node.local_files("tmp") == [], node.name


def test_a_second_delivery_during_an_encode_waits_and_never_encodes_twice(topology, make_member, tmp_path):
    """SQS hands a message out again while its first worker still encodes: the lease holds it off.

    The queue is made beforehand with a 1 s visibility timeout, as an operator's queue may
    be (kombu keeps an existing queue's own timeout, whatever the settings say).
    """
    import boto3
    from django.core.files import File

    from academy.videos import services as video_services
    from academy.videos import storage
    from academy.videos.tasks import video_encode

    options = json.loads(os.environ["CELERY_BROKER_TRANSPORT_OPTIONS"])
    boto3.client("sqs", endpoint_url=os.environ["MOTO_URL"], region_name="us-east-1").create_queue(
        QueueName=f"{options['queue_name_prefix']}redelivery", Attributes={"VisibilityTimeout": "1"})
    fast = {"TASK_LEASE_TTL": "2"}  # the second delivery asks again every 2 s
    workers = [topology["worker"](name, queue="redelivery", env=fast) for name in ("worker1", "worker2")]
    tenant = make_member()[0]
    clip = generate_test_clip(tmp_path / "long.mp4", seconds=30, width=640, height=360)
    with open(clip, "rb") as f:
        source = storage.source_save(tenant_id=tenant.pk, file=File(f, name="long.mp4"))
    video = video_services.video_create(tenant_id=tenant.pk, title="Long", source=source, enqueue=False)
    video_encode.apply_async((video.pk, 1), queue="redelivery")

    busy = re.compile(rf"video {video.pk} attempt 1 is being encoded by another worker")
    _wait(lambda: any(busy.search(n.text()) for n in workers), timeout=120,
          what="a second delivery while the first encodes", nodes=workers)
    # The first finishes; the put-off delivery then finds the attempt ended and does nothing.
    _wait(lambda: any(re.search(r"video_encode\[[^\]]+\] succeeded in [0-9.]+s: 'skipped'", n.text())
                      for n in workers), timeout=180, what="the second delivery to end 'skipped'", nodes=workers)
    video.refresh_from_db()
    assert video.status == "READY"
    assert len(_encoded_by(workers, video.pk)) == 1, "one encode of the attempt, not two"
    holder, waiter = _encoded_by(workers, video.pk)[0], [n.name for n in workers if busy.search(n.text())]
    assert waiter and holder not in waiter
    print(f"video {video.pk}: encoded once on {holder}; {waiter[0]} got it again and waited "
          f"{sum(len(busy.findall(n.text())) for n in workers)} time(s)")
