// Every element that scrolls or leaves the viewport, as text; [] when the page fits.
const out = [];
const doc = document.scrollingElement;
if (doc.scrollHeight > doc.clientHeight || doc.scrollWidth > doc.clientWidth)
  out.push(`document ${doc.scrollWidth}x${doc.scrollHeight} > ${doc.clientWidth}x${doc.clientHeight}`);
for (const el of document.querySelectorAll('.panel, .panel-body, .grid, .topbar, .health-strip')) {
  if (el.scrollHeight > el.clientHeight + 1 || el.scrollWidth > el.clientWidth + 1)
    out.push(`${el.id || el.className}: ${el.scrollWidth}x${el.scrollHeight} > ${el.clientWidth}x${el.clientHeight}`);
}
const wall = document.getElementById('wall').getBoundingClientRect();
if (wall.bottom > window.innerHeight + 1 || wall.right > window.innerWidth + 1) out.push('wall leaves the viewport');
return out;
