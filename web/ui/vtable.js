// SPDX-License-Identifier: MIT
// A sortable table that puts only the rows in view (and a few around them)
// in the page, so that tens of thousands of rows scroll smoothly: rows
// have one fixed height and two spacer rows stand in for the rest.

import { h } from "./dom.js";

const OVERSCAN = 10;

export class VirtualTable {
  // columns: [{label, key(row) -> sortable value, cell(row) -> text|Node}]
  constructor({ caption, columns, rowHeight = 30, sort = { by: 0, desc: false }, onSort }) {
    this.columns = columns;
    this.rowHeight = rowHeight;
    this.sort = sort;
    this.onSort = onSort;
    this.all = [];
    this.rows = [];
    this.filter = () => true;
    this.heads = columns.map((c, i) => h("th", { scope: "col" },
      h("button", { type: "button", class: "sort", onclick: () => this.sortBy(i) }, c.label)));
    this.body = h("tbody");
    this.table = h("table", { class: "vt" }, h("caption", {}, caption),
      h("thead", {}, h("tr", {}, this.heads)), this.body);
    this.element = h("div", { class: "vt-scroll", tabindex: "0", role: "region", "aria-label": caption },
      this.table);
    let queued = false;
    this.element.addEventListener("scroll", () => {
      if (queued) return;
      queued = true;
      requestAnimationFrame(() => { queued = false; this.render(); });
    });
  }

  setRows(rows) { this.all = rows; this.refresh(); }
  setFilter(fn) { this.filter = fn; this.refresh(); }

  sortBy(i) {
    this.sort = { by: i, desc: this.sort.by === i ? !this.sort.desc : false };
    this.onSort?.(this.sort);
    this.refresh();
  }

  refresh() {
    const key = this.columns[this.sort.by].key;
    const dir = this.sort.desc ? -1 : 1;
    this.rows = this.all.filter(this.filter).sort((a, b) => {
      const x = key(a), y = key(b);
      return x === null || y === null ? compare(x, y) : dir * compare(x, y);
    });
    this.heads.forEach((th, i) => th.setAttribute("aria-sort",
      i !== this.sort.by ? "none" : this.sort.desc ? "descending" : "ascending"));
    this.element.scrollTop = 0;
    this.render();
  }

  render() {
    const view = this.element.clientHeight || 600;
    const first = Math.max(0, Math.floor(this.element.scrollTop / this.rowHeight) - OVERSCAN);
    const last = Math.min(this.rows.length, first + Math.ceil(view / this.rowHeight) + 2 * OVERSCAN);
    const spacer = (n) => {
      const td = h("td", { colspan: this.columns.length });
      td.style.height = n * this.rowHeight + "px";
      return h("tr", { class: "spacer", "aria-hidden": "true" }, td);
    };
    const shown = this.rows.slice(first, last).map((r) =>
      h("tr", {}, this.columns.map((c) => h("td", {}, c.cell(r)))));
    this.body.replaceChildren(...(first ? [spacer(first)] : []), ...shown,
      ...(last < this.rows.length ? [spacer(this.rows.length - last)] : []));
  }
}

// Nulls last, numbers as numbers, text as text.
function compare(a, b) {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return typeof a === "number" && typeof b === "number" ? a - b : String(a).localeCompare(String(b));
}
