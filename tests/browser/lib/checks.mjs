// Checks that run inside a page (through page.evaluate, which the page's CSP does not restrict):
// the DOM contract every page keeps, labels, text contrast and focus visibility.

// Every page: <html lang="en">, <main id="main">, a non-empty <title>, no inline script or style.
export async function pageContract(page) {
  const r = await page.evaluate(() => ({
    lang: document.documentElement.getAttribute('lang'),
    main: document.querySelectorAll('main#main').length,
    title: document.title.trim(),
    inlineScripts: [...document.querySelectorAll('script')].filter((s) => !s.src).length,
    styleElements: document.querySelectorAll('style').length,
    styleAttrs: [...document.querySelectorAll('[style]')].map((e) => e.tagName.toLowerCase()).slice(0, 5),
    handlerAttrs: [...document.querySelectorAll('*')]
      .filter((e) => [...e.attributes].some((a) => a.name.startsWith('on')))
      .map((e) => e.tagName.toLowerCase()).slice(0, 5),
  }));
  const problems = [];
  if (r.lang !== 'en') problems.push(`<html lang> is ${JSON.stringify(r.lang)}, not "en"`);
  if (r.main !== 1) problems.push(`${r.main} <main id="main"> elements, not 1`);
  if (!r.title) problems.push('empty <title>');
  if (r.inlineScripts) problems.push(`${r.inlineScripts} inline <script> elements`);
  if (r.styleElements) problems.push(`${r.styleElements} <style> elements`);
  if (r.styleAttrs.length) problems.push(`style="" attributes on ${r.styleAttrs.join(', ')}`);
  if (r.handlerAttrs.length) problems.push(`on* handler attributes on ${r.handlerAttrs.join(', ')}`);
  return problems;
}

// Every visible form control (not hidden, submit or button) has a label: <label for>, a wrapping
// <label>, aria-label or aria-labelledby.
export async function unlabelledInputs(page) {
  return page.evaluate(() => {
    const out = [];
    for (const el of document.querySelectorAll('input, select, textarea')) {
      const type = (el.getAttribute('type') || '').toLowerCase();
      if (['hidden', 'submit', 'button', 'reset', 'image'].includes(type)) continue;
      const byFor = el.id && [...document.querySelectorAll('label')].some((l) => l.htmlFor === el.id && l.textContent.trim());
      const wrapped = el.closest('label') && el.closest('label').textContent.trim();
      const aria = (el.getAttribute('aria-label') || '').trim() ||
        (el.getAttribute('aria-labelledby') || '').split(/\s+/).filter(Boolean)
          .map((id) => document.getElementById(id)?.textContent.trim()).join('');
      if (!byFor && !wrapped && !aria) out.push(el.outerHTML.slice(0, 120));
    }
    return out;
  });
}

// Contrast (WCAG 2 relative luminance) of every visible element that holds text of its own, against
// the background it sits on (the first opaque background up the tree, alpha-blended; the page's canvas
// is white).  Colours are read through a 2D canvas, so any CSS colour syntax (rgb, oklch, color-mix...)
// is compared as rendered.  Normal text needs 4.5:1, large text (>= 24px, or >= 18.66px bold) 3:1.
export async function contrastFailures(page) {
  return page.evaluate(() => {
    const ctx = document.createElement('canvas').getContext('2d', { willReadFrequently: true });
    const rgba = (css) => {
      ctx.clearRect(0, 0, 1, 1);
      ctx.fillStyle = '#000';
      ctx.fillStyle = css;
      ctx.fillRect(0, 0, 1, 1);
      const d = ctx.getImageData(0, 0, 1, 1).data;
      // fillRect over a transparent canvas keeps the colour's alpha in d[3]
      return [d[0], d[1], d[2], d[3] / 255];
    };
    const blend = (top, bottom) => {
      const a = top[3];
      return [0, 1, 2].map((i) => top[i] * a + bottom[i] * (1 - a)).concat(1);
    };
    const background = (el) => {
      const layers = [];
      for (let e = el; e; e = e.parentElement) {
        const c = rgba(getComputedStyle(e).backgroundColor);
        if (c[3] > 0) layers.push(c);
        if (c[3] >= 1) break;
      }
      let bg = [255, 255, 255, 1];
      for (let i = layers.length - 1; i >= 0; i--) bg = blend(layers[i], bg);
      return bg;
    };
    const lum = (c) => {
      const ch = c.slice(0, 3).map((v) => {
        v /= 255;
        return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
      });
      return 0.2126 * ch[0] + 0.7152 * ch[1] + 0.0722 * ch[2];
    };
    const out = [];
    let checked = 0;
    for (const el of document.querySelectorAll('body *')) {
      if (['SCRIPT', 'STYLE', 'svg', 'SVG', 'TITLE', 'OPTION'].includes(el.tagName)) continue;
      if (el.closest('svg')) continue;
      const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim()) ||
        (el.tagName === 'INPUT' && ['submit', 'button'].includes(el.type) && el.value);
      if (!own) continue;
      const cs = getComputedStyle(el);
      const box = el.getBoundingClientRect();
      if (cs.visibility !== 'visible' || cs.display === 'none' || box.width === 0 || box.height === 0) continue;
      if (parseFloat(cs.opacity) === 0) continue;
      // text moved off-screen for screen readers (a "skip to content" link until focused)
      if (box.right < 0 || box.bottom < 0 || (cs.position === 'absolute' && box.width <= 1)) continue;
      checked++;
      const bg = background(el);
      const fg = blend(rgba(cs.color), bg);
      const [l1, l2] = [lum(fg), lum(bg)].sort((a, b) => b - a);
      const ratio = (l1 + 0.05) / (l2 + 0.05);
      const size = parseFloat(cs.fontSize);
      const large = size >= 24 || (size >= 18.66 && parseInt(cs.fontWeight, 10) >= 700);
      const need = large ? 3 : 4.5;
      if (ratio < need) {
        const text = (el.value || el.textContent).trim().replace(/\s+/g, ' ').slice(0, 40);
        out.push(`${el.tagName.toLowerCase()}${el.className ? '.' + String(el.className).split(' ').join('.') : ''} ` +
          `"${text}": ${ratio.toFixed(2)}:1 < ${need}:1 (${cs.color} on rgb(${bg.slice(0, 3).map(Math.round).join(', ')}))`);
      }
    }
    return { checked, failures: out };
  });
}

// Style that shows focus: outline, box-shadow, border and background of the element.
export async function focusStyle(page, selector) {
  return page.evaluate((sel) => {
    const el = document.querySelector(sel);
    if (!el) return null;
    const cs = getComputedStyle(el);
    return {
      outline: cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) > 0
        ? `${cs.outlineStyle} ${cs.outlineWidth} ${cs.outlineColor}` : 'none',
      boxShadow: cs.boxShadow,
      border: `${cs.borderTopStyle} ${cs.borderTopWidth} ${cs.borderTopColor}`,
      background: cs.backgroundColor,
      focused: document.activeElement === el,
    };
  }, selector);
}
