"""One static HTML page for a leaderboard: the headline table (sortable, each row's signature on hover), the
variants' full specs, and the Pareto plots embedded as data URIs. No external resource: the file can be mailed,
attached to a CI run or opened from disk.

Sorting: click a column header (again to reverse); ``page.html#sort=<column index>`` or ``#sort=-<index>`` opens
sorted. Cells carry ``data-v`` (the raw number) so numbers sort as numbers, empty cells last.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path

from codeeff.leaderboard.headline import headline_rows, signature_text
from codeeff.leaderboard.markdown import HEADLINE_HEADER, TRAINING_NOTE, VARIANTS_HEADER, headline_cells, variants_table
from codeeff.leaderboard.table import Row

# Raw values behind the numeric headline columns (index in HEADLINE_HEADER -> attribute of HeadlineRow).
_SORT_VALUES = {
    4: "quality",
    5: "delta",
    6: "flops_vs_dense",
    7: "tokens_per_s",
    8: "params",
    9: "energy_j_per_generated_token",
}

_STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:14px}
th,td{border:1px solid #ccc;padding:4px 8px;text-align:left}
th{background:#f2f2f2;cursor:pointer;user-select:none}
th.asc::after{content:" \\25B2"}th.desc::after{content:" \\25BC"}
tr.baseline td{background:#fff6e5}
td.num{text-align:right;font-variant-numeric:tabular-nums}
figure{display:inline-block;margin:0 1em 1em 0}figure img{max-width:640px;border:1px solid #ddd}
.note{color:#555;font-size:13px;max-width:60em}
"""

_SCRIPT = """
(function(){
  var table=document.getElementById('headline');
  var body=table.tBodies[0];
  function key(td){var v=td.getAttribute('data-v');return v===null||v===''?null:parseFloat(v);}
  function sortBy(col,desc){
    var rows=Array.prototype.slice.call(body.rows);
    rows.sort(function(a,b){
      var x=a.cells[col],y=b.cells[col],kx=key(x),ky=key(y),r;
      if(x.hasAttribute('data-v')||y.hasAttribute('data-v')){
        if(kx===null&&ky===null)r=0;else if(kx===null)return 1;else if(ky===null)return -1;else r=kx-ky;
      }else{r=x.textContent.localeCompare(y.textContent);}
      return desc?-r:r;
    });
    rows.forEach(function(r){body.appendChild(r);});
    Array.prototype.forEach.call(table.tHead.rows[0].cells,function(th,i){
      th.className=i===col?(desc?'desc':'asc'):'';});
    table.setAttribute('data-sorted',(desc?'-':'')+col);
  }
  Array.prototype.forEach.call(table.tHead.rows[0].cells,function(th,i){
    th.addEventListener('click',function(){sortBy(i,th.className==='asc');});});
  var m=/sort=(-?)(\\d+)/.exec(location.hash);
  if(m)sortBy(parseInt(m[2],10),m[1]==='-');
  document.body.setAttribute('data-ready',String(body.rows.length));
})();
"""


def _img(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<figure><img alt="{html.escape(path.name)}" src="data:image/png;base64,{data}"><figcaption>' \
        f"{html.escape(path.name)}</figcaption></figure>"  # fmt: skip


def render_html(rows: list[Row], title: str, plots: list[Path], quality: str | None = None) -> str:
    """The page as a string (plots: PNG files to embed)."""
    e = html.escape
    lines = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">', f"<title>{e(title)}</title>",
             f"<style>{_STYLE}</style></head><body>", f"<h1>{e(title)}</h1>",
             '<p class="note">Quality ± 95 % normal interval (lm-eval stderr); Δ = row − baseline with its 95 % '
             "paired-bootstrap interval where per-sample scores allow; FLOPs/token as a share of the dense cost of "
             "the same tokens. Hover a row for its signature (spec, hash, metric signature, environment). "
             "Click a header to sort.</p>"]  # fmt: skip
    lines.append('<table id="headline"><thead><tr>' + "".join(f"<th>{e(h)}</th>" for h in HEADLINE_HEADER))
    lines.append("</tr></thead><tbody>")
    for line in headline_rows(rows, quality):
        cells = []
        for i, text in enumerate(headline_cells(line)):
            if i in _SORT_VALUES:
                value = getattr(line, _SORT_VALUES[i])
                raw = "" if value is None else repr(float(value))
                cells.append(f'<td class="num" data-v="{raw}">{e(text)}</td>')
            else:
                cells.append(f"<td>{e(text)}</td>")
        css = ' class="baseline"' if line.is_baseline else ""
        lines.append(f'<tr{css} title="{e(signature_text(line))}">' + "".join(cells) + "</tr>")
    lines.append("</tbody></table>")
    header, variants = variants_table(rows)
    lines += ["<h2>Variants</h2>", "<table><thead><tr>" + "".join(f"<th>{e(h)}</th>" for h in header)
              + "</tr></thead><tbody>"]  # fmt: skip
    lines += ["<tr>" + "".join(f"<td>{e(c)}</td>" for c in cells) + "</tr>" for cells in variants]
    lines.append("</tbody></table>")
    if len(header) > len(VARIANTS_HEADER):
        lines.append(f'<p class="note">{e(TRAINING_NOTE.replace("`", ""))}</p>')
    if plots:
        lines.append("<h2>Quality vs cost (Pareto)</h2>")
        lines += [_img(p) for p in plots]
    lines += [f"<script>{_SCRIPT}</script>", "</body></html>", ""]
    return "\n".join(lines)
