import { describe, expect, it } from 'vitest'
import { toCsv } from './csv'

describe('toCsv', () => {
  it('writes a BOM, CRLF lines and quotes only where needed', () => {
    expect(toCsv(['row', 'name', 'error'], [[3, '김민수', 'parent phone: "0101" is not 11 digits, starting 010']])).toBe(
      '\uFEFFrow,name,error\r\n3,김민수,"parent phone: ""0101"" is not 11 digits, starting 010"\r\n',
    )
  })

  it('keeps a cell from being run as a spreadsheet formula', () => {
    expect(toCsv(['name'], [['=HYPERLINK("x")'], ['-1'], ['plain']])).toBe(
      '\uFEFFname\r\n"\'=HYPERLINK(""x"")"\r\n\'-1\r\nplain\r\n',
    )
  })
})
