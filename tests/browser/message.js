// What the wall says and how readable it is, measured in the page with computed styles.
// arguments[0]: the floor in px; arguments[1]: a selector of panels to leave out ("" for none).
// Returns {small: [...], cut: [...], alarms: [...], states: {...}, idents: n}:
//  small: text in a panel body, verdict or problem line below the floor (captions excepted);
//  cut: an identifier (IPv4/IPv6 address, CVE id, or an .ident element's text) whose own glyph
//       box leaves an element that clips it (overflow, ellipsis, line clamp);
//  alarms: titles of panels in the alarm state; states: title -> state.
const floor = arguments[0];
const skip = arguments[1];
const out = {small: [], cut: [], alarms: [], states: {}, idents: 0};
const left = (el) => skip && el.closest(skip);
const visible = (rect) => rect.width > 0 && rect.height > 0;

function textNodes(root) {
  const nodes = [];
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) if (n.textContent.trim()) nodes.push(n);
  return nodes;
}

function clippers(el) {
  const found = [];
  for (let a = el; a && a !== document.body; a = a.parentElement) {
    const s = getComputedStyle(a);
    if (s.overflowX !== 'visible' || s.overflowY !== 'visible') found.push(a);
    if (a.classList.contains('panel')) break;
  }
  return found;
}

function cutIn(node, start, end) {
  const range = document.createRange();
  range.setStart(node, start);
  range.setEnd(node, end);
  const rects = [...range.getClientRects()].filter(visible);
  if (!rects.length) return false;
  for (const box of clippers(node.parentElement)) {
    const r = box.getBoundingClientRect();
    for (const g of rects) {
      if (g.left < r.left - 0.5 || g.right > r.right + 0.5 || g.top < r.top - 0.5 ||
          g.bottom > r.bottom + 0.5) return true;
    }
  }
  return false;
}

const ID = /\b(?:\d{1,3}\.){3}\d{1,3}\b|CVE-\d{4}-\d{4,}|(?:[0-9a-fA-F]{0,4}:){2,7}[0-9a-fA-F]{1,4}/g;
const isId = (m) => !m.includes(':') || m.includes('::') || /[a-fA-F]/.test(m) || m.split(':').length > 4;

for (const panel of document.querySelectorAll('section.panel')) {
  const title = panel.querySelector('.panel-title').textContent;
  const cls = panel.classList;
  out.states[title] = cls.contains('alert') ? 'alarm' : cls.contains('explained') ? 'explained'
    : cls.contains('notice') ? 'notice' : 'calm';
  if (cls.contains('alert')) out.alarms.push(title);
  if (left(panel)) continue;
  for (const part of panel.querySelectorAll('.panel-body, .panel-verdict, .panel-problem')) {
    for (const node of textNodes(part)) {
      const el = node.parentElement;
      const range = document.createRange();
      range.selectNodeContents(node);
      if (!visible(range.getBoundingClientRect()) || getComputedStyle(el).visibility === 'hidden') continue;
      const size = parseFloat(getComputedStyle(el).fontSize);
      if (!el.closest('.caption') && size < floor - 0.05) {
        out.small.push(`${title}: ${size}px "${node.textContent.trim().slice(0, 40)}"`);
      }
      const text = node.textContent;
      const whole = el.classList.contains('ident') && el.childNodes.length === 1;
      const spans = whole ? [[0, text.length, text.trim()]]
        : [...text.matchAll(ID)].filter((m) => isId(m[0])).map((m) => [m.index, m.index + m[0].length, m[0]]);
      for (const [start, end, what] of spans) {
        out.idents += 1;
        if (cutIn(node, start, end)) out.cut.push(`${title}: ${what}`);
      }
    }
  }
}
return out;
