/* Progressive enhancement only: draws the dashboard charts (ECharts, vendored). Every page works
   without this file; the charts' numbers are also in the tables under them. */
(function () {
  "use strict";
  var holder = document.getElementById("chart-data");
  if (!holder || typeof echarts === "undefined") { return; }
  var data = JSON.parse(holder.textContent || "{}");
  function draw(id, option) {
    var el = document.getElementById(id);
    if (!el) { return; }
    var chart = echarts.init(el, null, { renderer: "svg" });
    chart.setOption(option);
    window.addEventListener("resize", function () { chart.resize(); });
  }
  if (data.trend) {
    draw("chart-trend", { tooltip: { trigger: "axis" }, grid: { left: 40, right: 16, top: 30, bottom: 30 },
      title: { text: "月度信访量", left: "center", textStyle: { fontSize: 14 } },
      xAxis: { type: "category", data: data.trend.labels }, yAxis: { type: "value", minInterval: 1 },
      series: [{ type: "line", data: data.trend.values, areaStyle: {} }] });
  }
  if (data.group) {
    draw("chart-group", { tooltip: { trigger: "item" }, title: { text: "按一级分类", left: "center", textStyle: { fontSize: 14 } },
      series: [{ type: "pie", radius: ["35%", "65%"], top: 20, data: data.group }] });
  }
  if (data.source) {
    draw("chart-source", { tooltip: { trigger: "item" }, title: { text: "按来源", left: "center", textStyle: { fontSize: 14 } },
      series: [{ type: "pie", radius: "60%", top: 20, data: data.source }] });
  }
  if (data.department) {
    draw("chart-department", { tooltip: { trigger: "axis" }, legend: { bottom: 0 },
      title: { text: "承办单位：登记与超期", left: "center", textStyle: { fontSize: 14 } },
      grid: { left: 40, right: 16, top: 40, bottom: 80 },
      xAxis: { type: "category", data: data.department.labels, axisLabel: { interval: 0, rotate: 30 } },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ name: "登记", type: "bar", data: data.department.registered },
               { name: "超期", type: "bar", data: data.department.overdue, itemStyle: { color: "#d93025" } }] });
  }
}());
