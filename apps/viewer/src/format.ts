/** Numbers as the viewer shows them. Rates are fractions in, percentages out. */

export function percent(value: number | null | undefined, digits = 1): string {
  if (value === null || value === undefined || Number.isNaN(value)) return "–";
  return `${(value * 100).toFixed(digits)}%`;
}

/** `14.2% ± 1.9` (±1 standard error, in percentage points). */
export function rateWithSe(rate: number | null | undefined, se: number | null | undefined): string {
  if (rate === null || rate === undefined) return "–";
  if (se === null || se === undefined) return percent(rate);
  return `${percent(rate)} ± ${(se * 100).toFixed(1)}`;
}

/** `[10.1%, 18.9%]`. */
export function interval(bounds: readonly [number, number] | null | undefined): string {
  if (!bounds) return "–";
  return `[${percent(bounds[0])}, ${percent(bounds[1])}]`;
}

/** Signed percentage points: `+11.3 pp`. */
export function points(value: number | null | undefined): string {
  if (value === null || value === undefined) return "–";
  const text = (value * 100).toFixed(1);
  return `${value > 0 ? "+" : ""}${text} pp`;
}

export function usd(value: number | null | undefined): string {
  if (value === null || value === undefined) return "unknown";
  if (value === 0) return "$0";
  return value < 0.01 ? `$${value.toFixed(4)}` : `$${value.toFixed(2)}`;
}

export function count(value: number): string {
  return value.toLocaleString("en-US");
}

/** A rate per second with one decimal: `41.2`. */
export function perSecond(value: number): string {
  return value.toLocaleString("en-US", { minimumFractionDigits: 1, maximumFractionDigits: 1 });
}

export function tierLabel(tier: string): string {
  switch (tier) {
    case "free":
      return "training (free)";
    case "paid":
      return "unmonitored (paid)";
    case "pro":
      return "rated only (pro)";
    case "enterprise":
      return "unmonitored (enterprise)";
    default:
      return tier;
  }
}
