/* Canonical JSON string escaping. */
#include "json_escape.h"

const char *dm_json_escape_byte(uint8_t b, char buf[8]) {
  switch (b) {
    case '"': return "\\\"";
    case '\\': return "\\\\";
    case '\b': return "\\b";
    case '\f': return "\\f";
    case '\n': return "\\n";
    case '\r': return "\\r";
    case '\t': return "\\t";
    default:
      if (b < 0x20) {
        static const char hex[] = "0123456789abcdef";
        buf[0] = '\\';
        buf[1] = 'u';
        buf[2] = '0';
        buf[3] = '0';
        buf[4] = hex[b >> 4];
        buf[5] = hex[b & 15];
        buf[6] = 0;
        return buf;
      }
      return 0;
  }
}
