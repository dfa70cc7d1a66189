/* Import page: send the upload by script so the browser shows upload progress, then the report. */
(function () {
  "use strict";
  var form = document.getElementById("import-form");
  if (!form || !window.XMLHttpRequest || !window.FormData) { return; }
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var box = document.getElementById("import-progress");
    var bar = document.getElementById("import-bar");
    var stage = document.getElementById("import-stage");
    var result = document.getElementById("import-result");
    var english = document.documentElement.lang === "en";
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
      bar.removeAttribute("value");  // indeterminate while the rows are validated and written
      stage.textContent = english ? "Validating and importing…" : "正在校验并导入…";
    };
    xhr.onload = function () {
      bar.value = 100;
      stage.textContent = english ? "Done." : "完成。";
      result.innerHTML = xhr.responseText;
      var heading = result.querySelector("h2, .errorlist");
      if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus(); }
    };
    xhr.onerror = function () { stage.textContent = english ? "Upload failed." : "上传失败。"; };
    xhr.send(new FormData(form));
  });
})();
