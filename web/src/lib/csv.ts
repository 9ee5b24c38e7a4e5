/**
 * CSV for spreadsheets (RFC 4180), pure. Starts with a byte-order mark so Excel reads the
 * Korean names as UTF-8, and defuses cells that a spreadsheet would run as a formula.
 */
const FORMULA_START = /^[=+\-@\t\r]/

function cell(value: string | number): string {
  let text = String(value)
  if (typeof value === 'string' && FORMULA_START.test(text)) text = `'${text}`
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

export function toCsv(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  return '\uFEFF' + [header, ...rows].map((row) => row.map(cell).join(',')).join('\r\n') + '\r\n'
}
