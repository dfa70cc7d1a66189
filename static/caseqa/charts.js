/* Dashboard charts (ECharts, vendored). Each chart reads its data from a json_script element;
   clicking a point opens the cases behind it; the toolbox saves the chart as an image. */
(function () {
  "use strict";
  var english = document.documentElement.lang === "en";
  window.caseqaCharts = {};

  function render(el) {
    var source = document.getElementById(el.getAttribute("data-chart"));
    if (!source || !window.echarts) { return; }
    var data = JSON.parse(source.textContent);
    var chart = window.echarts.init(el, null, { locale: english ? "EN" : "ZH", renderer: "canvas" });
    var stacked = data.type === "stacked";
    var dual = data.type === "dual";  // the ratio (left axis) beside its counterweights (right axis)
    var series = data.series.map(function (s) {
      var item = { name: s.name, type: stacked || s.bar ? "bar" : "line", data: s.data, connectNulls: false };
      if (stacked) { item.stack = "extras"; item.emphasis = { focus: "series" }; }
      else if (!s.bar) { item.symbolSize = 8; }
      if (dual) { item.yAxisIndex = s.axis || 0; }
      if (s.dashed) { item.lineStyle = { type: "dashed" }; item.symbol = "none"; }
      return item;
    });
    var yAxis = { type: "value", scale: !stacked, name: stacked ? (english ? "items" : "件数") : (english ? "ratio" : "案件比") };
    if (dual) {
      yAxis = [
        { type: "value", scale: true, name: data.axes[0] },
        { type: "value", name: data.axes[1], splitLine: { show: false } }
      ];
    }
    chart.setOption({
      title: { text: data.title, left: 0, textStyle: { fontSize: 14 } },
      tooltip: { trigger: "axis" },
      legend: { top: 26, type: "scroll", right: 40, left: 0 },
      grid: { left: 52, right: dual ? 52 : 24, top: 84, bottom: 32 },
      animationDuration: 300,
      toolbox: { feature: { saveAsImage: { name: data.title, title: english ? "Save as image" : "保存为图片" } } },
      xAxis: { type: "category", data: data.months },
      yAxis: yAxis,
      series: series,
      aria: { enabled: true }
    });
    chart.on("click", function (params) {
      var s = data.series[params.seriesIndex];
      var link = s && s.links && s.links[params.dataIndex];
      if (link) { window.location.href = link; }
    });
    window.addEventListener("resize", function () { chart.resize(); });
    window.caseqaCharts[el.id] = { chart: chart, data: data };
  }

  document.querySelectorAll("[data-chart]").forEach(render);
})();
