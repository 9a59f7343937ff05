/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * Accessibility checks run inside the console's page (playwright's page.evaluate): where the keyboard
 * focus is and whether its ring shows, Tab until a control, form controls without an accessible name,
 * and text below 4.5:1 against its background (WCAG AA).
 */
import type { Page } from 'playwright-core';

/** What has the keyboard focus now: its tag, accessible-ish name, and whether its focus ring shows. */
export function focused(page: Page) {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el || el === document.body) return { tag: 'body', name: '', ring: false };
    const style = getComputedStyle(el);
    const label = (el as HTMLInputElement).labels?.[0]?.textContent;
    return {
      tag: el.tagName.toLowerCase(),
      name: (el.getAttribute('aria-label') ?? label ?? el.textContent ?? '').trim(),
      ring: el.matches(':focus-visible') && style.outlineStyle !== 'none' && Number.parseFloat(style.outlineWidth) >= 2,
    };
  });
}

/** Press Tab until the focus is on what `wanted` accepts (at most 60 stops), each stop with its ring showing. */
export async function tabTo(page: Page, wanted: (f: { tag: string; name: string }) => boolean, what: string) {
  for (let i = 0; i < 60; i++) {
    await page.keyboard.press('Tab');
    const f = await focused(page);
    if (f.tag !== 'body') expect({ stop: f.name, ring: f.ring }).toEqual({ stop: f.name, ring: true });
    if (wanted(f)) return f;
  }
  throw new Error(`Tab never reached ${what}`);
}

/** Text colour against the background it is drawn on, for every visible element with text of its own (HTML, not the charts' SVG). */
export function lowContrast(page: Page) {
  return page.evaluate(() => {
    const rgba = (c: string) => (c.match(/[\d.]+/g) ?? []).map(Number);
    const lum = ([r, g, b]: number[]) =>
      [r, g, b]
        .map((v) => (v as number) / 255)
        .map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4))
        .reduce((s, v, i) => s + v * ([0.2126, 0.7152, 0.0722][i] as number), 0);
    const background = (el: Element | null): number[] => {
      for (let e = el; e; e = e.parentElement) {
        const c = rgba(getComputedStyle(e).backgroundColor);
        if (c.length === 3 || (c[3] ?? 0) > 0) return c;
      }
      return [255, 255, 255];
    };
    const found: string[] = [];
    for (const el of document.querySelectorAll('body *')) {
      if (el.closest('svg') || !(el instanceof HTMLElement) || el.offsetParent === null) continue;
      if (el.matches('[disabled], [disabled] *')) continue;
      const own = [...el.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent?.trim());
      if (!own) continue;
      const fg = lum(rgba(getComputedStyle(el).color));
      const bg = lum(background(el));
      const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
      if (ratio < 4.5)
        found.push(
          `${el.tagName.toLowerCase()}.${el.className} "${el.textContent?.trim().slice(0, 30)}" ${ratio.toFixed(2)}`,
        );
    }
    return found;
  });
}

/** Every visible form control without an accessible name (a label, aria-label(ledby), or a button's text). */
export function unnamedControls(page: Page) {
  return page.evaluate(() =>
    [...document.querySelectorAll('input, select, textarea, button')]
      .filter((el) => (el as HTMLElement).offsetParent !== null)
      .filter((el) => {
        const c = el as HTMLInputElement;
        const named =
          (c.labels?.length ?? 0) > 0 ||
          c.getAttribute('aria-label') ||
          c.getAttribute('aria-labelledby') ||
          (c.tagName === 'BUTTON' && c.textContent?.trim());
        return !named;
      })
      .map((el) => el.outerHTML.slice(0, 80)),
  );
}
