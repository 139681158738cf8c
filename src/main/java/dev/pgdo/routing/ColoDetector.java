package dev.pgdo.routing;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Finds the edge colo of a request, first match wins: {@code X-Colo}, then the suffix of
 * {@code CF-Ray} after its last '-', then {@code ?colo=}. A malformed value is skipped.
 */
public final class ColoDetector {

  private static final Pattern COLO = Pattern.compile("[A-Za-z]{3}");

  private ColoDetector() {
  }

  /** @return the colo in upper case, or null when no source holds a well-formed one */
  public static String detect(String xColo, String cfRay, String coloParam) {
    String colo = wellFormed(xColo);
    if (colo == null && cfRay != null) {
      int dash = cfRay.lastIndexOf('-');
      colo = dash < 0 ? null : wellFormed(cfRay.substring(dash + 1));
    }
    if (colo == null) {
      colo = wellFormed(coloParam);
    }
    return colo;
  }

  /** A colo code: three letters, any case. */
  public static boolean isColo(String value) {
    return value != null && COLO.matcher(value).matches();
  }

  private static String wellFormed(String value) {
    if (value == null) {
      return null;
    }
    String trimmed = value.trim();
    return COLO.matcher(trimmed).matches() ? trimmed.toUpperCase(Locale.ROOT) : null;
  }
}
