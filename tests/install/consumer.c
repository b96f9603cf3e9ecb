/* A program built against the installed headers and libraries through pkg-config
 * (make installcheck; make distcheck runs it). */
#include <dimple/dimple.h>
#include <stdio.h>
#include <string.h>

int main(void) {
  dm_build_info bi;
  dm_build_info_get(&bi);
  if (strcmp(dm_version(), DM_VERSION_STRING) != 0) return 1;
  if (strcmp(dm_dimple_version(), DM_VERSION_STRING) != 0) return 1;
  printf("installed dimple %s works (%s)\n", dm_version(), dm_strerror(DM_ESPEC));
  return 0;
}
