/* Handlers and parameter tables of the Actions, one file per spec section. */
#ifndef VIGIL_ACTIONS_H
#define VIGIL_ACTIONS_H

#include "fcgi/api.h"
#include "fcgi/router.h"

/*
 * Each file exports the routes of its Actions, ended by an entry with a NULL
 * action; router.c serves the union of these tables.
 */
extern const struct route mts_routes[];		/* ordering, section 9 */
extern const struct route group_routes[];	/* spaces, section 1 */
extern const struct route directory_routes[];	/* directories (vs API) */
extern const struct route device_routes[];	/* devices, section 2 */
extern const struct route channel_routes[];	/* channels, section 3 */
extern const struct route stream_routes[];	/* streams, section 4 */
extern const struct route template_routes[];	/* templates, section 5 */
extern const struct route record_routes[];	/* records, section 6 */

#endif
