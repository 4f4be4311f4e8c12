// The API reference: Swagger UI (swagger-ui-dist, served from the package, nothing from a CDN) rendering
// the OpenAPI document the page's <meta name="openapi-url"> names.
/* global SwaggerUIBundle */
SwaggerUIBundle({
  url: document.querySelector('meta[name="openapi-url"]').content,
  dom_id: "#swagger-ui",
  deepLinking: true,
  docExpansion: "list",
  defaultModelsExpandDepth: 0,
});
