/* setting_io.h: a setting as text (key=value lines), to hand it to a worker in a fresh process image. */
#ifndef SL_SETTING_IO_H
#define SL_SETTING_IO_H

#include "core/speedlab.h"

/* Write s to f as "key=value" lines (values escaped: \\ \n \r), first line "speedlab-setting 1".
 * Returns 0, or -errno when writing fails. */
int sl_setting_write(FILE *f, const struct sl_setting *s);
/* The same text in a malloc'd string (the caller frees it). NULL with errno set on failure. */
char *sl_setting_format(const struct sl_setting *s);
/* Parse text written by sl_setting_write into s (every field reset first). Returns 0, or -EINVAL
 * with msg set to "line N: what is wrong" (unknown key, bad number, value too long, no header). */
int sl_setting_read(struct sl_setting *s, const char *text, char *msg, size_t msglen);

#endif
