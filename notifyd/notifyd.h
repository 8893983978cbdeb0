/*
 * vigil-notifyd, the callback dispatcher: claims rows of the outbox table
 * (notifyd_outbox.c) and POSTs them, signed, to each space's Callback URL
 * with libcurl's multi interface (notifyd_send.c); notifyd.c runs the loop.
 */
#ifndef VIGIL_NOTIFYD_H
#define VIGIL_NOTIFYD_H

#include <stdint.h>

struct db;

/* One outbox row while it is being delivered. */
struct notifyd_event {
	uint64_t		 id;
	uint64_t		 tenant_id;
	uint64_t		 resource_id;
	int			 attempts;	/* before this one */
	char			*url;
	char			*body;
	char			 signature[65];	/* hex HMAC-SHA256 */
	void			*handle;	/* notifyd_send's */
	struct notifyd_event	*next;
};

/* A row that may be delivered now: the oldest pending one of its resource. */
struct notifyd_due {
	uint64_t	 id;
	char		*url;
};

/*
 * Lists up to max due rows, oldest first, without locking anything: *dp
 * (free with notifyd_outbox_due_free) gets *np entries. 0 or a db errno.
 */
int	notifyd_outbox_due(struct db *db, unsigned max,
	    struct notifyd_due **dp, unsigned *np);
void	notifyd_outbox_due_free(struct notifyd_due *d, unsigned n);

/*
 * Claims the rows ids[0..n) that are still due and not being claimed by
 * another dispatcher, leasing each for lease_s seconds (its next_attempt
 * moves forward, so no one else takes it meanwhile), and signs them with
 * their tenant's secret. *listp owns the claimed events (may be NULL when
 * none was left); free each with notifyd_event_free. A row whose tenant has
 * no usable key is marked dead. 0 or a db errno.
 */
int	notifyd_outbox_claim(struct db *db, const uint64_t *ids, unsigned n,
	    int lease_s, struct notifyd_event **listp);
/* Marks a delivered row done. */
int	notifyd_outbox_done(struct db *db, const struct notifyd_event *e);
/*
 * Schedules the next attempt with exponential backoff (1 s doubling, at
 * most 5 min) or, 24 h after the row was created, marks it dead (logged).
 * error says what went wrong; it is stored as last_error.
 */
int	notifyd_outbox_retry(struct db *db, const struct notifyd_event *e,
	    const char *error);
/* Marks a row that must never be sent dead, logging error. */
int	notifyd_outbox_dead(struct db *db, const struct notifyd_event *e,
	    const char *error);
void	notifyd_event_free(struct notifyd_event *e);

struct notifyd_send;

struct netguard;

/*
 * A sender for up to max concurrent requests of timeout_ms each, which
 * connects only to addresses guard allows (guard must outlive it).
 */
int	notifyd_send_alloc(struct notifyd_send **sp, unsigned max,
	    long timeout_ms, const struct netguard *guard);
/* Cancels whatever is in flight; the events are freed. Accepts NULL. */
void	notifyd_send_free(struct notifyd_send *s);
/* Starts POSTing e; the sender owns e until notifyd_send_done returns it. */
int	notifyd_send_start(struct notifyd_send *s, struct notifyd_event *e);
/* Requests in flight, in total and to url. */
unsigned notifyd_send_count(const struct notifyd_send *s);
unsigned notifyd_send_count_url(const struct notifyd_send *s,
	    const char *url);
/*
 * Waits up to timeout_ms for network activity or for fd (-1: none) to
 * become readable, and makes progress on every request.
 */
int	notifyd_send_wait(struct notifyd_send *s, int fd, int timeout_ms);
/*
 * Returns a finished request's event (the caller owns it again) or NULL.
 * *status gets the HTTP status (0 when there was no response) and error a
 * description of the failure (a static or internal buffer valid until the
 * next call) or "" on a 2xx; *refused is set when the guard refused the
 * address (sending again would not help).
 */
struct notifyd_event *notifyd_send_done(struct notifyd_send *s, long *status,
	    const char **error, int *refused);

#endif
