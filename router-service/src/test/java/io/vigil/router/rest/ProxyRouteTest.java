package io.vigil.router.rest;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The router forwards only paths an instance reads the way the router matched them. */
class ProxyRouteTest {

  @Test
  void plainPathsPass() {
    assertThat(ProxyRoute.plainPath("/openscale/abc/v2/subscriptions")).isTrue();
    assertThat(ProxyRoute.plainPath("/openscale/abc/v2/data_sets/d/records")).isTrue();
    assertThat(ProxyRoute.plainPath("/v2/x.y/file..name")).isTrue();
    assertThat(ProxyRoute.plainPath("/openscale/abc/v2/subscriptions/")).isTrue();
    assertThat(ProxyRoute.plainPath("/openscale/a%20b/.x/..y/%41")).isTrue();
  }

  @Test
  void pathsAnInstanceWouldNormalizeElsewhereAreRefused() {
    for (String path :
        new String[] {
          "/openscale/../q/metrics",
          "/openscale/a/..",
          "/openscale/./a",
          "/openscale/%2e%2e/q/metrics",
          "/openscale/%2E./q/health",
          "/openscale/a%2fb",
          "/openscale/a%5Cb",
          "/openscale/a\\\\..\\\\q",
          "/openscale//a",
          "/openscale/a/..",
          "/openscale/a/%2E",
          "/openscale/a/.",
          "/openscale/a\\b"
        }) {
      assertThat(ProxyRoute.plainPath(path)).as(path).isFalse();
    }
  }
}
