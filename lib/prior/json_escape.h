/* Canonical JSON string escaping (internal). The canonical serialization escapes
 * exactly '"', '\\' and the bytes below 0x20 (\b \f \n \r \t by name, others as
 * \u00xx with lowercase hex); every other byte, UTF-8 included, is written as is. */
#ifndef DM_PRIOR_JSON_ESCAPE_H
#define DM_PRIOR_JSON_ESCAPE_H

#include <stdint.h>

/* The escape of byte b (a string in buf or a static one), or NULL when b is
 * written as is. buf must have room for 8 bytes. */
const char *dm_json_escape_byte(uint8_t b, char buf[8]);

#endif
