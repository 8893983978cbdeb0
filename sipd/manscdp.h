/*
 * MANSCDP (GB/T 28181 Annex A) bodies: a small strict XML parser (no
 * attributes but Num, no DTD), and what the MANSCDP side of sipd shares
 * between manscdp.c, catalog.c and subscribe.c.
 */
#ifndef VIGIL_MANSCDP_H
#define VIGIL_MANSCDP_H

#include <stddef.h>
#include <stdint.h>

#include "sipd.h"

#define MANSCDP_BODY_MAX	65536	/* what SIP over UDP can carry */
#define MANSCDP_DEPTH_MAX	16
#define MANSCDP_NODES_MAX	4096
#define MANSCDP_ATTRS_MAX	16	/* per element */

struct manscdp_doc;
struct manscdp_node;

/*
 * Parses a body into *docp (free with manscdp_free). GB2312, GBK and
 * GB18030 bodies, and undeclared ones that are not UTF-8, are converted to
 * UTF-8 from GB18030 first, so every string the accessors return is UTF-8.
 * 0, EBADMSG (not well-formed, over a limit, not convertible) or ENOMEM.
 */
int	manscdp_parse(struct manscdp_doc **docp, const char *body, size_t len);
void	manscdp_free(struct manscdp_doc *doc);
const struct manscdp_node *manscdp_root(const struct manscdp_doc *doc);
/* "UTF-8" or "GB18030": what the body was read as. */
const char	*manscdp_charset(const struct manscdp_doc *doc);
const char	*manscdp_name(const struct manscdp_node *n);
/*
 * The first element under n along path, child names separated by '/'
 * ("DeviceList/Item"); n itself for "" or NULL; NULL when there is none.
 */
const struct manscdp_node *manscdp_find(const struct manscdp_node *n,
	    const char *path);
/* The next sibling element of the same name, or NULL. */
const struct manscdp_node *manscdp_next(const struct manscdp_node *n);
/* The first child element of any name, the next of any name. */
const struct manscdp_node *manscdp_first(const struct manscdp_node *n);
const struct manscdp_node *manscdp_sibling(const struct manscdp_node *n);
/*
 * The text of the element at path under n (entities and CDATA decoded,
 * surrounding white space trimmed), or NULL when there is no such element.
 */
const char	*manscdp_text(const struct manscdp_node *n, const char *path);
/* An attribute's value, or NULL. */
const char	*manscdp_attr(const struct manscdp_node *n, const char *name);

/* --- sipd's MANSCDP side: shared between its files --- */

/* One Item of a Catalog response. */
struct catalog_item {
	char		 id[65];	/* DeviceID, as sent (at most 64) */
	int		 channel;	/* see catalog_is_channel */
	char		*name;		/* owned, at most 128 characters */
	char		 longitude[33];
	char		 latitude[33];
};

struct manscdp_devinfo {
	const char	*vendor;	/* Manufacturer; "" when absent */
	const char	*model;
	const char	*firmware;
};

struct manscdp_position {
	const char	*gb_id;		/* the device or channel it is about */
	const char	*time;		/* "YYYY-MM-DD HH:MM:SS" or NULL */
	const char	*longitude;	/* validated decimal degrees */
	const char	*latitude;
	const char	*speed;		/* "" when absent */
	const char	*direction;
	const char	*altitude;
};

struct manscdp_alarm {
	const char	*gb_id;		/* the device or channel it is about */
	const char	*priority;	/* "" when absent */
	const char	*method;
	const char	*type;
	const char	*time;		/* "YYYY-MM-DD HH:MM:SS" or NULL */
	const char	*time_raw;	/* as the device sent it, or "" */
	const char	*description;
	const char	*longitude;
	const char	*latitude;
};

/*
 * Where the MANSCDP side stores what it learns. manscdp_db_ops writes to
 * the database; the unit tests and the fuzzer put doubles in its place.
 * Each returns 0 or an errno, channel_known 1 (yes), 0 (no) or -errno.
 */
struct manscdp_ops {
	int	(*channel_known)(struct sipd *, struct gb_dev *,
		    const char *gb_id);
	int	(*catalog_apply)(struct sipd *, struct gb_dev *,
		    const struct catalog_item *, size_t n);
	int	(*device_info)(struct sipd *, struct gb_dev *,
		    const struct manscdp_devinfo *);
	int	(*position)(struct sipd *, struct gb_dev *,
		    const struct manscdp_position *);
	int	(*alarm)(struct sipd *, struct gb_dev *,
		    const struct manscdp_alarm *);
	int64_t	(*now_ms)(void);	/* a monotonic clock */
};

extern const struct manscdp_ops manscdp_db_ops;
extern const struct manscdp_ops *manscdp_ops;
/* Replaces the store (NULL: the database again); for tests. */
void	manscdp_set_ops(const struct manscdp_ops *ops);

#define CATALOG_ITEMS_MAX	20000
#define CATALOG_TIMEOUT_MS	5000
#define SUBSCRIBE_EXPIRES	3600
#define SUBSCRIBE_RETRY_MS	60000

struct subscribe_state {
	int		 active;	/* subscribed, renew at renew_ms */
	int64_t		 renew_ms;
	int64_t		 sent_ms;	/* last SUBSCRIBE sent (0: never) */
	int64_t		 retry_ms;	/* failed: try again then */
	char		 what[24];	/* the settings it was made with */
};

/* dev->mans: what the MANSCDP side keeps per device. */
struct mans_dev {
	struct gb_dev		*dev;
	struct mans_dev		*prev, *next;	/* every state, for ticks */
	/* the catalog being collected (SN cat_sn), and the last applied */
	int			 cat_active;
	char			 cat_sn[24];
	char			 cat_done_sn[24];
	unsigned		 cat_sum;
	struct catalog_item	*items;
	size_t			 nitems, items_cap;
	int64_t			 cat_last_ms;
	/* our last query with no whole catalog back yet (0: none), tries */
	int64_t			 cat_asked_ms;
	int			 cat_tries;
	struct subscribe_state	 sub_pos, sub_alarm;
};

/* dev's state, created on first use; NULL only on ENOMEM. */
struct mans_dev	*manscdp_state(struct gb_dev *dev);
/* The next SN for a query we send. */
unsigned	 manscdp_next_sn(void);
/* Is gb_id dev itself or one of its channels? 1, 0 or -errno. */
int		 manscdp_belongs(struct sipd *sd, struct gb_dev *dev,
		    const char *gb_id);
/* Checks "YYYY-MM-DDTHH:MM:SS[.fff]" and writes "YYYY-MM-DD HH:MM:SS". */
int		 manscdp_time(const char *in, char out[20]);
/*
 * Copies at most max characters of UTF-8 s to out (outsz bytes), whole
 * characters only: columns are sized in characters.
 */
void		 manscdp_chars(char *out, size_t outsz, const char *s,
		    size_t max);
/* A decimal number within [-lim, lim] ("" and non-numbers are not). */
int		 manscdp_coord_ok(const char *s, double lim);

/* catalog.c */
int	catalog_response(struct sipd *, struct gb_dev *,
	    const struct manscdp_node *root);
int	catalog_device_info(struct sipd *, struct gb_dev *,
	    const struct manscdp_node *root);
/* A 20-digit id whose type (digits 11-13) is not 200, 215 or 216. */
int	catalog_is_channel(const char *id);
void	catalog_tick(struct sipd *, struct mans_dev *, int64_t now);
void	catalog_clear(struct mans_dev *);
int	catalog_db_channel_known(struct sipd *, struct gb_dev *,
	    const char *gb_id);
int	catalog_db_apply(struct sipd *, struct gb_dev *,
	    const struct catalog_item *, size_t n);
int	catalog_db_device_info(struct sipd *, struct gb_dev *,
	    const struct manscdp_devinfo *);

/* subscribe.c */
int	subscribe_alarm(struct sipd *, struct gb_dev *,
	    const struct manscdp_node *root);
int	subscribe_position(struct sipd *, struct gb_dev *,
	    const struct manscdp_node *root);
void	subscribe_tick(struct sipd *, struct mans_dev *, int64_t now);
int	subscribe_db_position(struct sipd *, struct gb_dev *,
	    const struct manscdp_position *);
int	subscribe_db_alarm(struct sipd *, struct gb_dev *,
	    const struct manscdp_alarm *);

#endif
