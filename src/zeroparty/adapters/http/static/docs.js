// Starts Swagger UI on /docs. A file of its own, not an inline script: the pages' CSP allows
// scripts from this origin only.
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({ url: document.body.dataset.openapi, dom_id: "#swagger-ui", deepLinking: true });
});
