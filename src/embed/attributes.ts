// An <inversion-playground> element's attributes are the attack lab's URL parameters under the same names
// (attack="gmi" steps="100" ...), so they go through the same validation (readSettings): a bad value falls back to
// its default and is listed in the element's notice, exactly as a bad link is on the lab page.
import { SETTING_PARAMS } from '../pages/attack/url-config.ts';

/** The link's parameters an element reads from its attributes: every setting, and `hide`. */
const PARAMS = [...SETTING_PARAMS, 'hide'];

/** HTML lowercases attribute names (mutationRate="0.1" arrives as mutationrate): each lowercase name's parameter. */
const PARAM_OF_ATTRIBUTE = new Map(PARAMS.map((p) => [p.toLowerCase(), p]));

/** The attributes the element watches (lowercase, as the browser reports them): a change to one restarts its attack. */
export const OBSERVED_ATTRIBUTES: readonly string[] = [...PARAM_OF_ATTRIBUTE.keys()];

/**
 * The attributes as a query string for readSettings: the settings' attributes only (class, id, style and the rest
 * are not settings), under their parameters' names.
 */
export function attributesToSearch(attributes: Iterable<{ name: string; value: string }>): string {
  const query = new URLSearchParams();
  for (const { name, value } of attributes) {
    const param = PARAM_OF_ATTRIBUTE.get(name.toLowerCase());
    if (param) query.set(param, value);
  }
  const text = query.toString();
  return text ? `?${text}` : '';
}
