/** Small helpers for terminal tables and numbers. */

export function percent(value: number | null | undefined, digits = 1): string {
  if (value === null || value === undefined || Number.isNaN(value)) return "—";
  return `${(value * 100).toFixed(digits)}%`;
}

/** A rate with its ±1 SE, in percentage points: `14.2% ± 1.9`. */
export function rateWithSe(rate: number | null | undefined, se: number | null | undefined): string {
  if (rate === null || rate === undefined) return "—";
  return se === null || se === undefined ? percent(rate) : `${percent(rate)} ± ${(se * 100).toFixed(1)}`;
}

export function usd(value: number | null | undefined): string {
  if (value === null || value === undefined) return "unknown (no price for this model)";
  return `$${value < 0.01 && value > 0 ? value.toFixed(4) : value.toFixed(2)}`;
}

/** A plain-text table; the first column is left-aligned, the rest right-aligned unless `align` says otherwise. */
export function table(header: string[], rows: string[][], align?: ("left" | "right")[]): string {
  const widths = header.map((cell, column) =>
    Math.max(cell.length, ...rows.map((row) => (row[column] ?? "").length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) =>
        (align?.[column] ?? (column === 0 ? "left" : "right")) === "left"
          ? cell.padEnd(widths[column] ?? 0)
          : cell.padStart(widths[column] ?? 0),
      )
      .join("  ")
      .trimEnd();
  return [line(header), widths.map((width) => "─".repeat(width)).join("  "), ...rows.map(line)].join("\n");
}
