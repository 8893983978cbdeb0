/*
 * sipd: GB28181 signalling. The shared context of its concerns and the
 * boundary between the SIP side (transport.c, sip.c, register.c,
 * keepalive.c, invite.c) and the MANSCDP side (manscdp.c, catalog.c,
 * subscribe.c). Everything runs on the one loop thread.
 */
#ifndef VIGIL_SIPD_H
#define VIGIL_SIPD_H

#include <stddef.h>
#include <stdint.h>

struct vigil_conf;
struct db;

#define GB_ID_LEN	20

/* A device sipd knows (registered now or recently), in memory. */
struct gb_dev {
	uint64_t	 id;
	uint64_t	 tenant_id;
	uint64_t	 group_id;
	char		 gb_id[GB_ID_LEN + 1];
	char		 group_gb_id[GB_ID_LEN + 1];	/* our SIP id for it */
	int		 auto_start;
	int		 auto_pos;
	int		 pos_interval;			/* s */
	char		 alarm_method[17];
	void		*sip;		/* the SIP side's state (contact, ...) */
	void		*mans;		/* the MANSCDP side's state (catalog) */
};

/* The part of sipd's context both sides use; sip.c owns the rest. */
struct sipd {
	struct vigil_conf	*conf;
	struct db		*db;
	char			 owner[128];	/* hostname:pid, for leases */
	void			*priv;
};

/* --- provided by the SIP side --- */

/*
 * Sends a MESSAGE with an Application/MANSCDP+xml body to dev (outside a
 * dialog, through its registration). 0, ENOENT when dev is not
 * registered, or an errno. The answer is not reported.
 */
int	sip_message(struct sipd *sd, struct gb_dev *dev, const char *body,
	    size_t len);
/*
 * Sends SUBSCRIBE (Event: event, e.g. "presence" for MobilePosition and
 * Alarm as GB28181 uses it, "Catalog") for expires seconds with a MANSCDP
 * body. 0, ENOENT or an errno.
 */
int	sip_subscribe(struct sipd *sd, struct gb_dev *dev, const char *event,
	    int expires, const char *body, size_t len);
/* A keepalive from dev arrived (called by the MANSCDP side). */
void	keepalive_seen(struct sipd *sd, struct gb_dev *dev);

/* --- provided by the MANSCDP side --- */

/*
 * Handles the MANSCDP body of a MESSAGE or NOTIFY from dev (Keepalive,
 * Catalog and DeviceInfo responses, Alarm, MobilePosition, ...). Returns
 * the SIP status to answer with: 200, or 400 for a body that does not
 * parse.
 */
int	manscdp_handle(struct sipd *sd, struct gb_dev *dev, const char *body,
	    size_t len);
/* Queries dev's Catalog and DeviceInfo (after REGISTER, RefreshChannels). */
void	catalog_query(struct sipd *sd, struct gb_dev *dev);
/* Starts the subscriptions dev's settings ask for (AutoPos, AlarmMethod);
 * called after registration. */
void	subscribe_start(struct sipd *sd, struct gb_dev *dev);
/* Timer, every second: completes catalogs whose messages stopped coming,
 * renews subscriptions. */
void	manscdp_tick(struct sipd *sd);
/* Forgets dev's MANSCDP state (it unregistered or sipd stops). */
void	manscdp_forget(struct sipd *sd, struct gb_dev *dev);

#endif
