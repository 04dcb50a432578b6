// An <inversion-playground> element's attributes are the attack lab's URL parameters under the same names
// (attack="gmi" steps="100" ...), so they go through the same validation (readSettings): a bad value falls back to
// its default and is listed in the element's notice, exactly as a bad link is on the lab page.

/** The attributes as a query string for readSettings (which ignores names that are not settings, like class or id). */
export function attributesToSearch(attributes: Iterable<{ name: string; value: string }>): string {
  const query = new URLSearchParams();
  for (const { name, value } of attributes) query.set(name, value);
  const text = query.toString();
  return text ? `?${text}` : '';
}
