package io.vigil.testkit;

import io.restassured.path.json.JsonPath;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Every route a running service documents in its OpenAPI ({@code /q/openapi}), so a security test
 * covers a route as soon as it exists. A path parameter limited to alternatives (a pattern such as
 * {@code data_marts|subscriptions}) gives one route per alternative; any other is filled with
 * {@code x}.
 */
public final class OpenApiRoutes {

  /** One documented operation: its method and a concrete path. */
  public record Route(String method, String path) {
    @Override
    public String toString() {
      return method + " " + path;
    }
  }

  private static final Set<String> METHODS = Set.of("get", "post", "put", "patch", "delete");

  private OpenApiRoutes() {}

  /** The documented operations of the service under test, excluding {@code /q/...}. */
  public static List<Route> documented() {
    JsonPath api =
        Management.given()
            .queryParam("format", "json")
            .get("/q/openapi")
            .then()
            .statusCode(200)
            .extract()
            .jsonPath();
    Map<String, Map<String, Object>> paths = api.getMap("paths");
    List<Route> routes = new ArrayList<>();
    paths.forEach(
        (path, operations) -> {
          if (path.startsWith("/q/")) {
            return;
          }
          operations.entrySet().stream()
              .filter(e -> METHODS.contains(e.getKey()))
              .sorted(Map.Entry.comparingByKey())
              .forEach(
                  e -> {
                    for (String concrete : expand(path, e.getValue())) {
                      routes.add(new Route(e.getKey().toUpperCase(), concrete));
                    }
                  });
        });
    return routes;
  }

  /** The concrete paths of an operation: alternatives expanded, other parameters {@code x}. */
  @SuppressWarnings("unchecked")
  private static List<String> expand(String path, Object operation) {
    List<String> out = new ArrayList<>(List.of(path));
    Object parameters = ((Map<String, Object>) operation).get("parameters");
    if (parameters instanceof List<?> list) {
      for (Object p : list) {
        Map<String, Object> parameter = (Map<String, Object>) p;
        Object schema = parameter.get("schema");
        Object pattern = schema instanceof Map<?, ?> m ? m.get("pattern") : null;
        String name = "{" + parameter.get("name") + "}";
        if ("path".equals(parameter.get("in"))
            && pattern instanceof String alternatives
            && alternatives.matches("[A-Za-z0-9_]+(\\|[A-Za-z0-9_]+)*")) {
          List<String> expanded = new ArrayList<>();
          for (String concrete : out) {
            for (String value : alternatives.split("\\|")) {
              expanded.add(concrete.replace(name, value));
            }
          }
          out = expanded;
        }
      }
    }
    return out.stream().map(c -> c.replaceAll("\\{[^}]+}", "x")).toList();
  }
}
