// The style and the one inline script of report.html. The script reads the data each chart carries (HtmlReport.Series.cs) and adds:
// a hover read-out (a cursor line, a dot per line and a box with the x value and each line's value, raw and smoothed) and the
// smoothing slider (TensorBoard's debiased exponential moving average, drawn over the faded raw lines). No network, no libraries.
namespace Rebel.Training.Reporting;

public static partial class HtmlReport
{
    private const string Style =
        "body{font-family:system-ui,sans-serif;margin:2em;max-width:1300px;color:#222}table{border-collapse:collapse;margin:1em 0}" +
        "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}th{background:#f3f3f3}" +
        ".charts{display:flex;flex-wrap:wrap;gap:12px}.chart{border:1px solid #ddd;background:#fff}pre{margin:0;white-space:pre-wrap}" +
        "h3{margin:1.2em 0 .4em;font-size:1em;color:#555}.controls input{vertical-align:middle;width:220px}" +
        "tr.differs td,tr.differs th{background:#fff3c4}" +
        ".tip{position:absolute;display:none;pointer-events:none;background:rgba(255,255,255,.95);border:1px solid #999;border-radius:3px;" +
        "padding:4px 6px;font-size:12px;box-shadow:0 1px 4px rgba(0,0,0,.2);white-space:nowrap}.tip b{display:block}";

    private const string Script = """
(function () {
  var NS = 'http://www.w3.org/2000/svg';
  var tip = document.createElement('div');
  tip.className = 'tip';
  document.body.appendChild(tip);
  var slider = document.getElementById('smoothing'), shown = document.getElementById('smoothing-value');
  function nums(s) { return s.split(',').map(Number); }
  function fmt(v) { return Math.abs(v) >= 1e5 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(3) : String(+v.toPrecision(5)); }
  function ema(ys, w) {
    var out = [], last = 0;
    for (var i = 0; i < ys.length; i++) { last = last * w + (1 - w) * ys[i]; out.push(w > 0 ? last / (1 - Math.pow(w, i + 1)) : ys[i]); }
    return out;
  }
  var charts = Array.prototype.map.call(document.querySelectorAll('svg.chart[data-sx]'), function (svg) {
    var sx = nums(svg.getAttribute('data-sx')), sy = nums(svg.getAttribute('data-sy'));
    var c = {
      svg: svg, label: svg.getAttribute('data-x-label'), lines: [],
      X: function (x) { return sx[2] + (x - sx[0]) / (sx[1] - sx[0]) * (sx[3] - sx[2]); },
      Y: function (y) { return sy[2] + (y - sy[0]) / (sy[1] - sy[0]) * (sy[3] - sy[2]); },
      invX: function (px) { return sx[0] + (px - sx[2]) / (sx[3] - sx[2]) * (sx[1] - sx[0]); }
    };
    Array.prototype.forEach.call(svg.querySelectorAll('polyline.line'), function (p) {
      var smooth = p.cloneNode(false);
      smooth.setAttribute('class', 'smooth');
      smooth.style.display = 'none';
      p.parentNode.insertBefore(smooth, p.nextSibling);
      var dot = document.createElementNS(NS, 'circle');
      dot.setAttribute('r', '3.5');
      dot.setAttribute('fill', p.getAttribute('stroke'));
      dot.style.display = 'none';
      svg.appendChild(dot);
      var ys = nums(p.getAttribute('data-ys'));
      c.lines.push({ raw: p, smooth: smooth, dot: dot, name: p.getAttribute('data-name'), colour: p.getAttribute('stroke'), xs: nums(p.getAttribute('data-xs')), ys: ys, sm: ys });
    });
    c.cursor = document.createElementNS(NS, 'line');
    c.cursor.setAttribute('y1', sy[3]);
    c.cursor.setAttribute('y2', sy[2]);
    c.cursor.setAttribute('stroke', '#888');
    c.cursor.setAttribute('stroke-dasharray', '3,3');
    c.cursor.style.display = 'none';
    svg.appendChild(c.cursor);
    svg.addEventListener('mousemove', function (e) { hover(c, e); });
    svg.addEventListener('mouseleave', function () { hide(c); });
    return c;
  });
  function hide(c) {
    tip.style.display = 'none';
    c.cursor.style.display = 'none';
    c.lines.forEach(function (l) { l.dot.style.display = 'none'; });
  }
  function hover(c, e) {
    var box = c.svg.getBoundingClientRect(), scale = c.svg.viewBox.baseVal.width / box.width;
    var x = c.invX((e.clientX - box.left) * scale), best = null;
    c.lines.forEach(function (l) { l.xs.forEach(function (v) { if (best === null || Math.abs(v - x) < Math.abs(best - x)) best = v; }); });
    if (best === null) return;
    var smoothing = slider ? +slider.value : 0;
    tip.textContent = '';
    var head = document.createElement('b');
    head.textContent = c.label + ' ' + fmt(best);
    tip.appendChild(head);
    c.lines.forEach(function (l) {
      var i = l.xs.indexOf(best);
      if (i < 0) { l.dot.style.display = 'none'; return; }
      var row = document.createElement('div');
      row.style.color = l.colour;
      row.textContent = l.name + ': ' + fmt(l.ys[i]) + (smoothing > 0 ? ' (smoothed ' + fmt(l.sm[i]) + ')' : '');
      tip.appendChild(row);
      l.dot.setAttribute('cx', c.X(best));
      l.dot.setAttribute('cy', c.Y(smoothing > 0 ? l.sm[i] : l.ys[i]));
      l.dot.style.display = '';
    });
    c.cursor.setAttribute('x1', c.X(best));
    c.cursor.setAttribute('x2', c.X(best));
    c.cursor.style.display = '';
    tip.style.display = 'block';
    var right = window.scrollX + document.documentElement.clientWidth; // keep the box on screen: left of the cursor near the right edge
    tip.style.left = (e.pageX + 14 + tip.offsetWidth > right ? e.pageX - 14 - tip.offsetWidth : e.pageX + 14) + 'px';
    tip.style.top = (e.pageY + 14) + 'px';
  }
  function smooth() {
    var w = slider ? +slider.value : 0;
    if (shown) shown.textContent = w.toFixed(2);
    charts.forEach(function (c) {
      c.lines.forEach(function (l) {
        l.sm = ema(l.ys, w);
        l.smooth.setAttribute('points', l.xs.map(function (x, i) { return c.X(x).toFixed(1) + ',' + c.Y(l.sm[i]).toFixed(1); }).join(' '));
        l.smooth.style.display = w > 0 ? '' : 'none';
        l.raw.style.opacity = w > 0 ? 0.25 : 1;
      });
    });
  }
  if (slider) slider.addEventListener('input', smooth);
  smooth();
})();
""";
}
