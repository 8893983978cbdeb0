/* RTP ports and SSRCs of GB28181 media sessions (see gballoc.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gballoc.h"

#define BIT(pp, port)	((port) - (pp)->min)

int
gballoc_ports_init(struct gballoc_ports *pp, int min, int max)
{
	if (min < 1 || max > 65535 || min > max)
		return EINVAL;
	if ((pp->used = calloc((size_t)(max - min) / 8 + 1, 1)) == NULL)
		return ENOMEM;
	pp->min = min;
	pp->max = max;
	pp->next = min;
	return 0;
}

void
gballoc_ports_free(struct gballoc_ports *pp)
{
	free(pp->used);
	pp->used = NULL;
}

static int
gballoc_used(const struct gballoc_ports *pp, int port)
{
	int b = BIT(pp, port);

	return (pp->used[b / 8] >> (b % 8)) & 1;
}

int
gballoc_port_take(struct gballoc_ports *pp, int *port)
{
	int n = pp->max - pp->min + 1, p = pp->next;

	for (int i = 0; i < n; i++, p = p == pp->max ? pp->min : p + 1)
		if (!gballoc_used(pp, p)) {
			pp->used[BIT(pp, p) / 8] |= (uint8_t)(1u <<
			    (BIT(pp, p) % 8));
			pp->next = p == pp->max ? pp->min : p + 1;
			*port = p;
			return 0;
		}
	return ENOSPC;
}

void
gballoc_port_put(struct gballoc_ports *pp, int port)
{
	if (pp->used == NULL || port < pp->min || port > pp->max)
		return;
	pp->used[BIT(pp, port) / 8] &= (uint8_t)~(1u << (BIT(pp, port) % 8));
}

void
gballoc_ssrc(char out[GBALLOC_SSRC_LEN], int playback, const char *domain,
    unsigned serial)
{
	char mid[6] = "00000";
	size_t len = domain != NULL ? strlen(domain) : 0;

	/* digits 4-8 (from 1) of the domain */
	for (size_t i = 0; i < 5 && i + 3 < len; i++) {
		if (domain[i + 3] < '0' || domain[i + 3] > '9')
			break;
		mid[i] = domain[i + 3];
	}
	snprintf(out, GBALLOC_SSRC_LEN, "%c%s%04u", playback ? '1' : '0', mid,
	    serial % 10000);
}
