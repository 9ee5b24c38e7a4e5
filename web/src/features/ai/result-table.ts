/**
 * Turn a job result of unknown shape into table rows, pure. The grading result's exact
 * shape is the backend's to pin; this takes a list of records, or an object holding one.
 */
export type Table = { columns: string[]; rows: string[][] }

function cellText(value: unknown): string {
  if (value === null || value === undefined) return ''
  if (typeof value === 'object') return JSON.stringify(value)
  return String(value)
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export function resultTable(result: unknown): Table | null {
  let list: unknown = result
  if (isRecord(result)) {
    const arrays = Object.values(result).filter(Array.isArray)
    if (arrays.length !== 1) return null
    list = arrays[0]
  }
  if (!Array.isArray(list) || list.length === 0 || !list.every(isRecord)) return null
  const columns: string[] = []
  for (const record of list) {
    for (const key of Object.keys(record)) if (!columns.includes(key)) columns.push(key)
  }
  return { columns, rows: list.map((record) => columns.map((column) => cellText(record[column]))) }
}
