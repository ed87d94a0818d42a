/* preflight_placeholder.c: until the pre-flight checks land (measurement work). */
#include "preflight.h"

json_t *sl_preflight(void) { json_t *o = json_object(); json_object_set_new(o, "warnings", json_array()); return o; }
void sl_preflight_warn(json_t *preflight) { (void)preflight; }
