/**
 * The report page's only script, inlined into the HTML: checkboxes show and hide each result's
 * curves, and a self-check records on `<body>` how many charts drew visible marks.
 */

/** PAGE_SCRIPT is plain browser JavaScript (no imports, no network). */
export const PAGE_SCRIPT = String.raw`
(function () {
  'use strict';
  function setVisible(result, visible) {
    document.querySelectorAll('[data-result="' + result + '"]').forEach(function (el) {
      if (el.tagName !== 'TR') el.classList.toggle('hidden', !visible);
    });
  }
  document.querySelectorAll('input[data-toggle]').forEach(function (box) {
    box.addEventListener('change', function () { setVisible(box.getAttribute('data-toggle'), box.checked); });
  });
  var charts = document.querySelectorAll('svg.chart');
  var drawn = 0;
  charts.forEach(function (svg) {
    var marks = svg.querySelectorAll('[data-series]');
    for (var i = 0; i < marks.length; i++) {
      var box = marks[i].getBBox();
      if (box.width > 0 || box.height > 0) { drawn++; return; }
    }
  });
  document.body.setAttribute('data-charts', String(charts.length));
  document.body.setAttribute('data-charts-drawn', String(drawn));
})();
`;
