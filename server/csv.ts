// CSV for members' downloads (their own data, a group's member list): RFC 4180 quoting, CRLF,
// a BOM so that spreadsheets read UTF-8, and no formulas: a cell starting with = + - @ (or a tab
// or carriage return) gets a leading apostrophe, or a spreadsheet would run it (CSV injection).

function cell(v: unknown): string {
  const s = v instanceof Date ? v.toISOString() : v === null || v === undefined ? '' : String(v);
  const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return `"${safe.replace(/"/g, '""')}"`;
}

/** A CSV file: a header line, then one line per row. */
export function csvTable(header: string[], rows: unknown[][]): string {
  return `\uFEFF${[header.join(','), ...rows.map((r) => r.map(cell).join(','))].join('\r\n')}\r\n`;
}
