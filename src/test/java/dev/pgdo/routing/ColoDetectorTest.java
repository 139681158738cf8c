package dev.pgdo.routing;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

@DisplayName("ColoDetector: X-Colo > CF-Ray suffix > ?colo=, malformed values fall through")
class ColoDetectorTest {

  @Test
  @DisplayName("X-Colo wins over CF-Ray and the query parameter")
  void xColoWins() {
    assertThat(ColoDetector.detect("ORD", "8f1a2b3c4d5e6f70-LHR", "NRT")).isEqualTo("ORD");
  }

  @Test
  @DisplayName("CF-Ray suffix wins over the query parameter when X-Colo is absent")
  void cfRayBeatsParam() {
    assertThat(ColoDetector.detect(null, "8f1a2b3c4d5e6f70-LHR", "NRT")).isEqualTo("LHR");
  }

  @Test
  @DisplayName("CF-Ray uses the letters after the LAST dash")
  void cfRayLastDash() {
    assertThat(ColoDetector.detect(null, "abc-def-FRA", null)).isEqualTo("FRA");
  }

  @Test
  @DisplayName("the query parameter is used when no header is given")
  void paramOnly() {
    assertThat(ColoDetector.detect(null, null, "SYD")).isEqualTo("SYD");
  }

  @Test
  @DisplayName("codes are case-insensitive and reported upper-case, from every source")
  void upperCases() {
    assertThat(ColoDetector.detect("ord", null, null)).isEqualTo("ORD");
    assertThat(ColoDetector.detect(null, "8f1a2b3c4d5e6f70-lHr", null)).isEqualTo("LHR");
    assertThat(ColoDetector.detect(null, null, "sYd")).isEqualTo("SYD");
  }

  @ParameterizedTest(name = "X-Colo \"{0}\" is ignored")
  @ValueSource(strings = {"ORDX", "O1D", "", "OR", "   ", "O-D", "ÖRD"})
  @DisplayName("a malformed X-Colo falls through to CF-Ray")
  void malformedXColoFallsToCfRay(String xColo) {
    assertThat(ColoDetector.detect(xColo, "8f1a2b3c4d5e6f70-LHR", "NRT")).isEqualTo("LHR");
  }

  @ParameterizedTest(name = "X-Colo \"{0}\" is ignored")
  @ValueSource(strings = {"ORDX", "O1D", ""})
  @DisplayName("a malformed X-Colo with no CF-Ray falls through to the parameter")
  void malformedXColoFallsToParam(String xColo) {
    assertThat(ColoDetector.detect(xColo, null, "nrt")).isEqualTo("NRT");
  }

  @ParameterizedTest(name = "CF-Ray \"{0}\" is ignored")
  @ValueSource(strings = {"8f1a2b3c4d5e6f70", "abc-", "8f1a2b3c4d5e6f70-LHRX", "8f1a-L1R", "", "-"})
  @DisplayName("a malformed CF-Ray (no dash, empty or bad suffix) falls through to the parameter")
  void malformedCfRayFallsToParam(String cfRay) {
    assertThat(ColoDetector.detect(null, cfRay, "NRT")).isEqualTo("NRT");
  }

  @Test
  @DisplayName("malformed values everywhere give null")
  void allMalformed() {
    assertThat(ColoDetector.detect("ORDX", "abc-", "12")).isNull();
  }

  @Test
  @DisplayName("no source at all gives null")
  void allNull() {
    assertThat(ColoDetector.detect(null, null, null)).isNull();
  }
}
