import { useI18n, type MessageKey } from '@/lib/i18n'
import { toCsv } from '@/lib/csv'
import { downloadCsv } from '@/lib/download'

type Props = {
  caption: string
  columns: MessageKey[]
  rows: (string | number)[][]
  testId: string
  /** File name of the CSV download; no button without it. */
  csvName?: string
  rowTestId?: string
}

/** A captioned table in the reader's language, with an optional CSV download of the same cells. */
export function DataTable({ caption, columns, rows, testId, csvName, rowTestId }: Props) {
  const { t } = useI18n()
  const header = columns.map((column) => t(column))
  return (
    <div className="table-block">
      <div className="table-scroll">
        <table data-testid={testId}>
          <caption>{caption}</caption>
          <thead>
            <tr>
              {header.map((title) => (
                <th key={title} scope="col">
                  {title}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((row, index) => (
              <tr key={index} data-testid={rowTestId}>
                {row.map((cell, column) => (
                  <td key={column}>{cell}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {csvName && rows.length > 0 && (
        <button type="button" data-testid={`${testId}-csv`} onClick={() => downloadCsv(toCsv(header, rows), csvName)}>
          {t('table.downloadCsv', { name: caption })}
        </button>
      )}
    </div>
  )
}
