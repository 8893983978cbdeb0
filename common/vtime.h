/* Times of the API: YYYY-MM-DDThh:mm:ssZ UTC. */
#ifndef VIGIL_VTIME_H
#define VIGIL_VTIME_H

#include <stdint.h>
#include <time.h>

#define VTIME_LEN	21	/* "2019-02-28T00:00:00Z" + NUL */

/* Strictly parses YYYY-MM-DDThh:mm:ssZ; 0 or EINVAL. */
int	vtime_parse(const char *s, time_t *t);
/* Formats t as YYYY-MM-DDThh:mm:ssZ. */
void	vtime_format(char out[VTIME_LEN], time_t t);
/* Wall clock in milliseconds since the epoch. */
uint64_t vtime_now_ms(void);
/* Monotonic clock in microseconds. */
uint64_t vtime_mono_us(void);

#endif
