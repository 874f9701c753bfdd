/**
 * Amounts as the API gives them — an integer of the currency's minor unit
 * and an ISO 4217 code — written in the reader's locale (12.50 €, ¥1,250).
 */

/** `minor` units of `currency`; without a currency, two decimals. */
export function price(minor: number, currency: string | null | undefined): string {
  if (!currency) return new Intl.NumberFormat(undefined, { minimumFractionDigits: 2 }).format(minor / 100);
  const format = new Intl.NumberFormat(undefined, { style: "currency", currency });
  // The minor unit's size is the currency's: cents for EUR, none for JPY, thousandths for BHD.
  const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
  return format.format(minor / 10 ** digits);
}
