/* Import page: send the upload by script (upload progress), then follow the background import until its report. */
(function () {
  "use strict";
  var form = document.getElementById("import-form");
  var result = document.getElementById("import-result");
  if (!form || !result || !window.XMLHttpRequest || !window.FormData) { return; }
  var english = document.documentElement.lang === "en";
  var box = document.getElementById("import-progress");
  var bar = document.getElementById("import-bar");
  var stage = document.getElementById("import-stage");

  function show(html) {
    result.innerHTML = html;
    var job = result.querySelector("#import-job");
    if (job && job.getAttribute("data-status-url")) {
      window.setTimeout(function () { poll(job.getAttribute("data-status-url")); }, 1000);
      return;
    }
    box.hidden = true;
    var heading = result.querySelector("h2, .errorlist");
    if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus(); }
  }

  function poll(url) {
    var xhr = new XMLHttpRequest();
    xhr.open("GET", url);
    xhr.setRequestHeader("X-Requested-With", "fetch");
    xhr.onload = function () { show(xhr.responseText); };
    xhr.onerror = function () { window.setTimeout(function () { poll(url); }, 3000); };
    xhr.send();
  }

  var running = result.querySelector("#import-job");
  if (running) { poll(running.getAttribute("data-status-url")); }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    box.hidden = false;
    bar.value = 0;
    stage.textContent = english ? "Uploading…" : "正在上传…";
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action || window.location.href);
    xhr.setRequestHeader("X-Requested-With", "fetch");
    xhr.upload.onprogress = function (e) {
      if (e.lengthComputable) { bar.value = Math.round(e.loaded * 100 / e.total); }
    };
    xhr.upload.onload = function () {
      bar.removeAttribute("value");
      stage.textContent = english ? "Uploaded; queued for import…" : "上传完成，等待后台导入…";
    };
    xhr.onload = function () { stage.textContent = ""; show(xhr.responseText); };
    xhr.onerror = function () { stage.textContent = english ? "Upload failed." : "上传失败。"; };
    xhr.send(new FormData(form));
  });
})();
