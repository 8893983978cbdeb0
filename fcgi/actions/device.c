/*
 * Devices (spec section 2: 设备操作接口): GB28181 cameras, platforms and IEDs
 * of a gb28181 space. Start/Stop only record the desired state and queue
 * jobs for the daemons; a device's status is theirs to change.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/job.h"
#include "common/log.h"
#include "common/vault.h"
#include "fcgi/res.h"
#include "actions.h"

#define DEV_ID_MAX		20	/* digits of a BIGINT UNSIGNED */
#define DEV_IDS_MAX		(RES_BATCH_MAX * (DEV_ID_MAX + 1))
#define DEV_NAME_MAX		128
#define DEV_DESC_MAX		1024
#define DEV_USER_MAX		128
/* sealed, it must fit password_enc VARBINARY(512) in any UTF-8 */
#define DEV_PASSWORD_MAX	64
#define DEV_IP_MAX		64
#define DEV_VENDOR_MAX		64
#define DEV_COORD_MAX		32
#define DEV_PARAMS_MAX		8192
#define DEV_ACCESS_INFO_MAX	1024
#define DEV_POS_INTERVAL_MAX	86400
#define DEV_PAGE_NUM_MAX	1000000000L

#define P_ID(name, req)	{ name, PT_STRING, req, 1, DEV_ID_MAX }
#define P_END		{ NULL, 0, 0, 0, 0 }

/* The fields CreateDevice and ModifyDevice share. */
#define P_DEVICE_FIELDS							\
	{ "Name", PT_STRING, 0, 1, DEV_NAME_MAX },			\
	{ "Description", PT_STRING, 0, 1, DEV_DESC_MAX },		\
	P_ID("DirectoryId", 0),						\
	{ "AutoStart", PT_BOOL, 0, 0, 0 },				\
	{ "Ip", PT_STRING, 0, 1, DEV_IP_MAX },				\
	{ "Port", PT_INT, 0, 0, 65535 },				\
	{ "Vendor", PT_STRING, 0, 1, DEV_VENDOR_MAX },			\
	{ "Longitude", PT_STRING, 0, 1, DEV_COORD_MAX },		\
	{ "Latitude", PT_STRING, 0, 1, DEV_COORD_MAX },			\
	{ "AutoPos", PT_BOOL, 0, 0, 0 },				\
	{ "PosInterval", PT_INT, 0, 1, DEV_POS_INTERVAL_MAX },		\
	{ "AlarmMethod", PT_STRING, 0, 1, 16 },				\
	{ "Params", PT_JSON, 0, 0, DEV_PARAMS_MAX }

static const struct route_param dev_create_params[] = {
	P_ID("GroupId", 1),
	{ "Type", PT_STRING, 1, 1, 16 },
	{ "GbId", PT_STRING, 1, 1, 32 },
	{ "Username", PT_STRING, 1, 1, DEV_USER_MAX },
	{ "Password", PT_STRING, 1, 1, DEV_PASSWORD_MAX },
	P_ID("ParentId", 0),
	P_DEVICE_FIELDS,
	P_END
};

static const struct route_param dev_modify_params[] = {
	P_ID("Id", 1),
	P_ID("GroupId", 1),
	{ "Type", PT_STRING, 0, 1, 16 },
	{ "GbId", PT_STRING, 0, 1, 32 },
	{ "Username", PT_STRING, 0, 1, DEV_USER_MAX },
	{ "Password", PT_STRING, 0, 1, DEV_PASSWORD_MAX },
	P_DEVICE_FIELDS,
	P_END
};

static const struct route_param dev_list_params[] = {
	P_ID("GroupId", 1),
	{ "GbId", PT_STRING, 0, 1, 32 },
	{ "Name", PT_STRING, 0, 1, DEV_NAME_MAX },
	P_ID("ParentId", 0),
	{ "Type", PT_STRING, 0, 1, 16 },
	{ "Status", PT_STRING, 0, 1, 16 },
	{ "SortBy", PT_STRING, 0, 1, 32 },
	{ "SortDirection", PT_STRING, 0, 1, 8 },
	{ "PageSize", PT_INT, 0, 1, 100 },
	{ "PageNum", PT_INT, 0, 1, DEV_PAGE_NUM_MAX },
	{ "IncludeStats", PT_BOOL, 0, 0, 0 },
	{ "IncludeDirectory", PT_BOOL, 0, 0, 0 },
	P_END
};

static const struct route_param dev_get_params[] = {
	P_ID("Id", 1),
	{ "IncludeStats", PT_BOOL, 0, 0, 0 },
	{ "IncludeDirectory", PT_BOOL, 0, 0, 0 },
	P_END
};

static const struct route_param dev_id_params[] = {
	P_ID("Id", 1),
	P_END
};

static const struct route_param dev_start_params[] = {
	P_ID("Id", 1),
	{ "AccessInfo", PT_JSON, 1, 0, DEV_ACCESS_INFO_MAX },
	P_END
};

static const struct route_param dev_ids_params[] = {
	{ "Id", PT_STRING, 1, 1, DEV_IDS_MAX },
	P_END
};

static const struct route_param dev_batch_start_params[] = {
	{ "Id", PT_STRING, 1, 1, DEV_IDS_MAX },
	{ "AccessInfo", PT_JSON, 1, 0, DEV_ACCESS_INFO_MAX },
	P_END
};

static const char *const dev_types[] = { "ipc", "platform", "ied", NULL };
static const char *const dev_statuses[] = { "new", "on", "off", "failed",
	NULL };
/* GB28181 alarm methods: 0 all, 5 video alarms, 7 other alarms */
static const char *const dev_alarms[] = { "0", "5", "7", NULL };

static const struct res_sort dev_sort[] = {
	{ "id", "d.id" },
	{ "name", "d.name" },
	{ "createdTime", "d.created_at" },
	{ "gbId", "d.gb_id" },
	/* by name, not by the ENUM's declaration order */
	{ "status", "CAST(d.status AS CHAR)" },
	{ NULL, NULL }
};

/* Every device query selects these columns (enum dev_col). */
/* Ip and Port: where a registered GB28181 device registered from (what
 * sipd answers to), else what was configured. */
static const char dev_cols_sql[] =
    "SELECT d.id, d.name, d.description, d.group_id, d.parent_id,"
    " d.directory_id, d.type, d.auto_start, d.enabled, d.status, d.gb_id,"
    " COALESCE((SELECT g.contact_ip FROM gb_registrations g"
    " WHERE g.device_id = d.id AND g.tenant_id = d.tenant_id), d.ip),"
    " COALESCE((SELECT g.contact_port FROM gb_registrations g"
    " WHERE g.device_id = d.id AND g.tenant_id = d.tenant_id), d.port),"
    " d.username, d.password_enc, d.vendor, d.longitude,"
    " d.latitude, d.auto_pos, d.pos_interval, d.alarm_method, d.created_at,"
    " d.params, ";
/* the directory, joined only when asked for: a join costs the optimizer */
static const char dev_dir_cols_sql[] =
    "dir.id AS dir_id, dir.name AS dir_name,"
    " dir.description AS dir_description, dir.group_id AS dir_group_id,"
    " dir.parent_id AS dir_parent_id, dir.created_at AS dir_created_at, ";
static const char dev_no_dir_cols_sql[] =
    "NULL, NULL, NULL, NULL, NULL, NULL, ";
static const char dev_stats_sql[] =
    "(SELECT COUNT(*) FROM channels c WHERE c.device_id = d.id"
    " AND c.tenant_id = d.tenant_id) AS channel_num,"
    " (SELECT COUNT(*) FROM streams s WHERE s.device_id = d.id"
    " AND s.tenant_id = d.tenant_id) AS stream_num,"
    " (SELECT COUNT(*) FROM streams s WHERE s.device_id = d.id"
    " AND s.tenant_id = d.tenant_id AND s.status = 'on') AS online_num,"
    " (SELECT COUNT(*) FROM streams s WHERE s.device_id = d.id"
    " AND s.tenant_id = d.tenant_id AND s.status = 'off') AS offline_num";
static const char dev_no_stats_sql[] = "0, 0, 0, 0";
static const char dev_from_dir_sql[] =
    " FROM devices d LEFT JOIN directories dir ON dir.id = d.directory_id"
    " AND dir.tenant_id = d.tenant_id WHERE d.tenant_id = ?";
static const char dev_from_sql[] = " FROM devices d WHERE d.tenant_id = ?";

enum dev_col {
	DC_ID, DC_NAME, DC_DESC, DC_GROUP, DC_PARENT, DC_DIR, DC_TYPE,
	DC_AUTO_START, DC_ENABLED, DC_STATUS, DC_GB_ID, DC_IP, DC_PORT,
	DC_USER, DC_PASSWORD, DC_VENDOR, DC_LON, DC_LAT, DC_AUTO_POS,
	DC_POS_INTERVAL, DC_ALARM, DC_CREATED, DC_PARAMS,
	DC_DIR_ID, DC_DIR_NAME, DC_DIR_DESC, DC_DIR_GROUP, DC_DIR_PARENT,
	DC_DIR_CREATED,
	DC_CHANNELS, DC_STREAMS, DC_ONLINE, DC_OFFLINE
};

enum dev_kind {
	DK_STR, DK_INT, DK_BOOL, DK_TIME,
	DK_SECRET,	/* sealed text, bound to the row's id */
	DK_PROTOCOL,	/* the constant "gb28181" */
	DK_ZERO		/* a count that is not tracked */
};

struct dev_field {
	const char	*key;
	enum dev_col	 col;
	enum dev_kind	 kind;
};

/* The spec's Device fields, in its order. */
static const struct dev_field dev_fields[] = {
	{ "Id", DC_ID, DK_STR },
	{ "Name", DC_NAME, DK_STR },
	{ "Description", DC_DESC, DK_STR },
	{ "GroupId", DC_GROUP, DK_STR },
	{ "ParentId", DC_PARENT, DK_STR },
	{ "DirectoryId", DC_DIR, DK_STR },
	{ "Type", DC_TYPE, DK_STR },
	{ "AutoStart", DC_AUTO_START, DK_BOOL },
	{ "Enabled", DC_ENABLED, DK_BOOL },
	{ "Protocol", 0, DK_PROTOCOL },
	{ "Status", DC_STATUS, DK_STR },
	{ "GbId", DC_GB_ID, DK_STR },
	{ "Ip", DC_IP, DK_STR },
	{ "Port", DC_PORT, DK_INT },
	{ "Username", DC_USER, DK_STR },
	{ "Password", DC_PASSWORD, DK_SECRET },
	{ "Vendor", DC_VENDOR, DK_STR },
	{ "Longitude", DC_LON, DK_STR },
	{ "Latitude", DC_LAT, DK_STR },
	{ "AutoPos", DC_AUTO_POS, DK_BOOL },
	{ "PosInterval", DC_POS_INTERVAL, DK_INT },
	{ "AlarmMethod", DC_ALARM, DK_STR },
	{ "CreatedTime", DC_CREATED, DK_TIME },
	{ "Params", DC_PARAMS, DK_STR },
	{ NULL, 0, 0 }
};

static const struct dev_field dev_stat_fields[] = {
	{ "ChannelNum", DC_CHANNELS, DK_INT },
	{ "StreamNum", DC_STREAMS, DK_INT },
	{ "OnlineNum", DC_ONLINE, DK_INT },
	{ "OfflineNum", DC_OFFLINE, DK_INT },
	/* streams are on or off: failures are jobs', not a stream status */
	{ "FailedNum", 0, DK_ZERO },
	{ NULL, 0, 0 }
};

static const struct dev_field dev_dir_fields[] = {
	{ "Id", DC_DIR_ID, DK_STR },
	{ "Name", DC_DIR_NAME, DK_STR },
	{ "Description", DC_DIR_DESC, DK_STR },
	{ "GroupId", DC_DIR_GROUP, DK_STR },
	{ "ParentId", DC_DIR_PARENT, DK_STR },
	{ "CreatedTime", DC_DIR_CREATED, DK_TIME },
	{ NULL, 0, 0 }
};

static const char dev_space_sql[] =
    "SELECT in_protocol, enabled, gb_id FROM spaces"
    " WHERE id = ? AND tenant_id = ? LOCK IN SHARE MODE";
static const char dev_parent_sql[] =
    "SELECT 1 FROM devices WHERE id = ? AND tenant_id = ? AND group_id = ?"
    " LOCK IN SHARE MODE";
static const char dev_directory_sql[] =
    "SELECT 1 FROM directories WHERE id = ? AND tenant_id = ?"
    " AND group_id = ? LOCK IN SHARE MODE";
static const char dev_insert_sql[] =
    "INSERT INTO devices (id, tenant_id, group_id, parent_id, directory_id,"
    " type, name, description, gb_id, username, password_enc, ip, port,"
    " vendor, longitude, latitude, auto_start, auto_pos, pos_interval,"
    " alarm_method, params) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
    " ?, ?, ?, ?, ?, ?, ?, ?)";
/* NULL keeps a column; directory_id takes a flag since NULL is a value. */
static const char dev_update_sql[] =
    "UPDATE devices SET name = COALESCE(?, name),"
    " description = COALESCE(?, description), type = COALESCE(?, type),"
    " auto_start = COALESCE(?, auto_start), gb_id = COALESCE(?, gb_id),"
    " directory_id = IF(?, ?, directory_id), ip = COALESCE(?, ip),"
    " port = COALESCE(?, port), username = COALESCE(?, username),"
    " password_enc = COALESCE(?, password_enc),"
    " vendor = COALESCE(?, vendor), longitude = COALESCE(?, longitude),"
    " latitude = COALESCE(?, latitude), auto_pos = COALESCE(?, auto_pos),"
    " pos_interval = COALESCE(?, pos_interval),"
    " alarm_method = COALESCE(?, alarm_method),"
    " params = COALESCE(?, params) WHERE id = ? AND tenant_id = ?";
static const char dev_lock_sql[] =
    "SELECT group_id, status, enabled FROM devices"
    " WHERE id = ? AND tenant_id = ? FOR UPDATE";
static const char dev_lock_in_group_sql[] =
    "SELECT group_id, status, enabled FROM devices"
    " WHERE id = ? AND tenant_id = ? AND group_id = ? FOR UPDATE";
/* a device's group never changes: read without a lock */
static const char dev_group_of_sql[] =
    "SELECT group_id FROM devices WHERE id = ? AND tenant_id = ?";
static const char dev_streams_sql[] =
    "SELECT id, enabled, status FROM streams WHERE device_id = ?"
    " AND tenant_id = ? ORDER BY id FOR UPDATE";
static const char dev_desired_sql[] =
    "UPDATE devices SET desired = ? WHERE id = ? AND tenant_id = ?";
static const char dev_stream_start_sql[] =
    "UPDATE streams SET desired = 'started', access_info_enc = ?"
    " WHERE id = ? AND tenant_id = ?";
static const char dev_stream_stop_sql[] =
    "UPDATE streams SET desired = 'stopped' WHERE id = ? AND tenant_id = ?";
static const char dev_unlock_sql[] =
    "UPDATE devices SET status = 'off', auth_failures = 0"
    " WHERE id = ? AND tenant_id = ?";
/* sipd's locks of the device's source addresses (the device is checked) */
static const char dev_unlock_addrs_sql[] =
    "DELETE FROM gb_auth_failures WHERE device_id = ?"
    " AND (? OR locked_until > UTC_TIMESTAMP(3))";

/* Deleting a device, children first (all scoped to the tenant). */
static const char *const dev_delete_sql[] = {
	"DELETE b FROM template_bindings b JOIN streams s"
	" ON b.instance_type = 'stream' AND b.instance_id = s.id"
	" WHERE s.device_id = ? AND s.tenant_id = ?",
	"DELETE FROM streams WHERE device_id = ? AND tenant_id = ?",
	"DELETE FROM channels WHERE device_id = ? AND tenant_id = ?",
	/* a platform's cameras outlive it, without a parent */
	"UPDATE devices SET parent_id = NULL WHERE parent_id = ?"
	" AND tenant_id = ?",
	"DELETE FROM devices WHERE id = ? AND tenant_id = ?",
	NULL
};

/* Validated optional fields of CreateDevice / ModifyDevice. */
struct dev_input {
	const char	*type;
	const char	*gb_id;
	char		 lon[DEV_COORD_MAX + 1];
	char		 lat[DEV_COORD_MAX + 1];
	struct buf	 alarm;
	uint64_t	 directory;	/* 0: none given */
	uint64_t	 parent;	/* 0: none given (CreateDevice only) */
};

static enum api_err
dev_not_found(struct api_req *r, uint64_t id)
{
	return api_fail(r, AE_DEVICE_NOT_FOUND,
	    "The device %" PRIu64 " does not exist.", id);
}

/* A GB28181 id: 20 digits (NOTES section 4). */
static enum api_err
dev_check_gb_id(struct api_req *r, const char **gb)
{
	const char *v = res_str(r, "GbId");

	*gb = v;
	if (v == NULL)
		return AE_OK;
	if (strlen(v) != 20 || strspn(v, "0123456789") != 20)
		return api_fail(r, AE_INVALID_PARAMETER,
		    "The parameter GbId must be 20 digits.");
	return AE_OK;
}

static enum api_err
dev_check_ip(struct api_req *r)
{
	unsigned char a[sizeof(struct in6_addr)];
	const char *v = res_str(r, "Ip");

	if (v == NULL || inet_pton(AF_INET, v, a) == 1 ||
	    inet_pton(AF_INET6, v, a) == 1)
		return AE_OK;
	return api_fail(r, AE_INVALID_PARAMETER,
	    "The parameter Ip must be an IPv4 or IPv6 address.");
}

/*
 * A coordinate: [+-]digits[.digits] within [-limit, limit], stored without
 * the plus sign and the integer part's leading zeros ("+045.50" -> "45.50")
 * so equal values compare equal; the fraction stays as the caller wrote it.
 * Compared as text, so no rounding lets 180.0000000000000000001 in.
 */
static enum api_err
dev_check_coord(struct api_req *r, const char *name, int limit,
    char out[DEV_COORD_MAX + 1])
{
	const char *v = res_str(r, name), *p, *ip;
	size_t nint, nfrac = 0;
	int neg = 0, whole, zero;

	out[0] = '\0';
	if (v == NULL)
		return AE_OK;
	p = v;
	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	if ((nint = strspn(p, "0123456789")) == 0)
		goto bad;
	for (ip = p, p += nint; nint > 1 && *ip == '0'; ip++, nint--)
		;
	if (*p == '.') {
		if ((nfrac = strspn(p + 1, "0123456789")) == 0 ||
		    p[nfrac + 1] != '\0')
			goto bad;
	} else if (*p != '\0')
		goto bad;
	if (nint > 3 || (whole = atoi(ip)) > limit)
		goto bad;
	zero = nfrac == 0 || strspn(p + 1, "0") == nfrac;
	if (whole == limit && !zero)
		goto bad;
	snprintf(out, DEV_COORD_MAX + 1, "%s%.*s%s",
	    neg && (whole != 0 || !zero) ? "-" : "", (int)nint, ip, p);
	return AE_OK;
bad:
	return api_fail(r, AE_INVALID_PARAMETER, "The parameter %s must be a "
	    "decimal number from %d to %d.", name, -limit, limit);
}

/* An optional id parameter; 0 when absent. */
static enum api_err
dev_opt_id(struct api_req *r, const char *name, uint64_t *id)
{
	*id = 0;
	return res_str(r, name) ? res_id(r, name, id) : AE_OK;
}

/* Checks what the parameter table cannot; in->alarm needs buf_free. */
static enum api_err
dev_check_input(struct api_req *r, struct dev_input *in)
{
	enum api_err e;

	memset(in, 0, sizeof(*in));
	in->type = res_str(r, "Type");
	if ((e = res_enum(r, "Type", dev_types)) != AE_OK ||
	    (e = dev_check_gb_id(r, &in->gb_id)) != AE_OK ||
	    (e = dev_check_ip(r)) != AE_OK ||
	    (e = dev_check_coord(r, "Longitude", 180, in->lon)) != AE_OK ||
	    (e = dev_check_coord(r, "Latitude", 90, in->lat)) != AE_OK ||
	    (e = res_list(r, "AlarmMethod", dev_alarms, &in->alarm)) != AE_OK ||
	    (e = dev_opt_id(r, "DirectoryId", &in->directory)) != AE_OK)
		return e;
	return AE_OK;
}

/*
 * Locks the space GroupId (shared) for a change of one of its devices:
 * it must be the tenant's and gb28181. *gb gets its GbId (malloc'd or
 * NULL).
 */
static int
dev_space(struct api_req *r, uint64_t group, enum api_err *e, char **gb)
{
	struct db_res *res;
	const char *v;
	int error;

	*gb = NULL;
	if ((error = db_query(r->db, &res, dev_space_sql, "ii",
	    (int64_t)group, (int64_t)r->tenant_id)) != 0)
		return error;
	if (db_res_rows(res) == 0)
		*e = api_fail(r, AE_GROUP_NOT_FOUND,
		    "The group %" PRIu64 " does not exist.", group);
	else if (strcmp(db_res_get(res, 0, 0, NULL), "gb28181") != 0)
		*e = api_fail(r, AE_INVALID_PARAMETER, "The parameter GroupId "
		    "must name a space whose InProtocol is gb28181.");
	else if ((v = db_res_get(res, 0, 2, NULL)) != NULL &&
	    (*gb = strdup(v)) == NULL)
		error = ENOMEM;
	db_res_free(res);
	return error;
}

/* Is row id of sql (id, tenant, group) there? sql says how to lock it. */
static int
dev_exists(struct api_req *r, const char *sql, uint64_t id, uint64_t group,
    int *found)
{
	struct db_res *res;
	int error;

	if ((error = db_query(r->db, &res, sql, "iii", (int64_t)id,
	    (int64_t)r->tenant_id, (int64_t)group)) != 0)
		return error;
	*found = db_res_rows(res) > 0;
	db_res_free(res);
	return 0;
}

/*
 * The references of a created or modified device: its parent and its
 * directory must be in its space, and its GbId is not the space's own.
 */
static int
dev_check_refs(struct api_req *r, const struct dev_input *in, uint64_t group,
    const char *space_gb, enum api_err *e)
{
	int error, found;

	if (in->gb_id && space_gb && strcmp(in->gb_id, space_gb) == 0) {
		*e = api_fail(r, AE_INVALID_PARAMETER, "The parameter GbId "
		    "must differ from the GbId of its space.");
		return 0;
	}
	if (in->parent) {
		if ((error = dev_exists(r, dev_parent_sql, in->parent, group,
		    &found)) != 0)
			return error;
		if (!found) {
			*e = api_fail(r, AE_INVALID_PARAMETER, "The parameter "
			    "ParentId must name a device of group %" PRIu64
			    ".", group);
			return 0;
		}
	}
	if (in->directory) {
		if ((error = dev_exists(r, dev_directory_sql, in->directory,
		    group, &found)) != 0)
			return error;
		if (!found)
			*e = api_fail(r, AE_INVALID_PARAMETER, "The parameter "
			    "DirectoryId must name a directory of group %"
			    PRIu64 ".", group);
	}
	return 0;
}

static enum api_err
dev_duplicate(struct api_req *r, const char *gb, uint64_t group)
{
	return api_fail(r, AE_INVALID_PARAMETER, "The parameter GbId: the "
	    "device %s already exists in group %" PRIu64 ".", gb, group);
}

static void
dev_id_text(char s[DEV_ID_MAX + 1], uint64_t id)
{
	snprintf(s, DEV_ID_MAX + 1, "%" PRIu64, id);
}

/*
 * Seals a secret bound to its row's id under its purpose's label: a
 * device's password "<id>", a stream's AccessInfo "access_info:<id>" (its
 * push token has "<id>": two secrets of one row never share a label).
 */
static int
dev_seal(const char *prefix, uint64_t id, const char *plain, uint8_t **enc,
    size_t *enclen)
{
	char aad[DEV_ID_MAX + 16];

	snprintf(aad, sizeof(aad), "%s%" PRIu64, prefix, id);
	return vault_seal(aad, plain, enc, enclen);
}

static void
dev_reply_id(struct api_req *r, uint64_t id)
{
	char s[DEV_ID_MAX + 1];

	dev_id_text(s, id);
	json_object_object_add(res_body(r), "Id", json_object_new_string(s));
}

/* A non-empty parameter or def. */
static const char *
dev_or(const struct api_req *r, const char *name, const char *def)
{
	const char *v = res_str(r, name);

	return v ? v : def;
}

static enum api_err
dev_create_tx(struct api_req *r, const struct dev_input *in, uint64_t id,
    uint64_t group)
{
	char pid[DEV_ID_MAX + 1], did[DEV_ID_MAX + 1], *space_gb = NULL;
	enum api_err e = AE_OK;
	uint8_t *enc = NULL;
	size_t enclen;
	int error;

	if ((error = dev_seal("", id, api_param(r, "Password"), &enc,
	    &enclen)) != 0)
		return api_fail_errno(r, error, "password seal");
	dev_id_text(pid, in->parent);
	dev_id_text(did, in->directory);
	if ((error = db_begin(r->db)) != 0 ||
	    (error = dev_space(r, group, &e, &space_gb)) != 0 || e != AE_OK ||
	    (error = dev_check_refs(r, in, group, space_gb, &e)) != 0 ||
	    e != AE_OK)
		goto out;
	error = db_exec(r->db, NULL, dev_insert_sql, "iiisssssssbsssssiiiss",
	    (int64_t)id, (int64_t)r->tenant_id, (int64_t)group,
	    in->parent ? pid : NULL, in->directory ? did : NULL, in->type,
	    dev_or(r, "Name", ""), dev_or(r, "Description", ""), in->gb_id,
	    api_param(r, "Username"), enc, enclen, dev_or(r, "Ip", ""),
	    dev_or(r, "Port", "0"), dev_or(r, "Vendor", ""), in->lon, in->lat,
	    (int64_t)res_bool(r, "AutoStart", 0),
	    (int64_t)res_bool(r, "AutoPos", 0),
	    (int64_t)res_long(r, "PosInterval", 300),
	    in->alarm.p ? in->alarm.p : "", dev_or(r, "Params", "{}"));
	if (error == EEXIST) {
		e = dev_duplicate(r, in->gb_id, group);
		error = 0;
	}
out:
	free(space_gb);
	free(enc);
	return res_tx_end(r, e, error);
}

static enum api_err
dev_create(struct api_req *r)
{
	struct dev_input in;
	uint64_t group, id;
	enum api_err e;
	int error;

	memset(&in, 0, sizeof(in));
	if ((e = res_id(r, "GroupId", &group)) != AE_OK ||
	    (e = dev_check_input(r, &in)) != AE_OK ||
	    (e = dev_opt_id(r, "ParentId", &in.parent)) != AE_OK)
		goto out;
	if ((error = res_new_id(&id)) != 0) {
		e = api_fail_errno(r, error, "device id");
		goto out;
	}
	if ((e = dev_create_tx(r, &in, id, group)) == AE_OK)
		dev_reply_id(r, id);
out:
	buf_free(&in.alarm);
	return e;
}

static struct db_arg
dev_arg(const char *v)
{
	return (struct db_arg){ .type = 's', .s = v };
}

/* "1"/"0" for a given Bool parameter, NULL (keep) when absent. */
static const char *
dev_flag(const struct api_req *r, const char *name)
{
	if (res_str(r, name) == NULL)
		return NULL;
	return res_bool(r, name, 0) ? "1" : "0";
}

/*
 * A text field ModifyDevice may clear: given empty it becomes v (''), given
 * non-empty v, absent NULL (keep).
 */
static const char *
dev_clearable(const struct api_req *r, const char *name, const char *v)
{
	return res_given(r, name) ? v : NULL;
}

static enum api_err
dev_modify_tx(struct api_req *r, const struct dev_input *in, uint64_t id,
    uint64_t group)
{
	const char *pw = res_str(r, "Password");
	char did[DEV_ID_MAX + 1], *space_gb = NULL;
	struct db_arg a[20];
	enum api_err e = AE_OK;
	uint8_t *enc = NULL;
	size_t enclen = 0;
	unsigned n = 0;
	int error, found;

	if (pw != NULL && (error = dev_seal("", id, pw, &enc, &enclen)) != 0)
		return api_fail_errno(r, error, "password seal");
	if ((error = db_begin(r->db)) != 0 ||
	    (error = dev_space(r, group, &e, &space_gb)) != 0 || e != AE_OK ||
	    (error = dev_exists(r, dev_lock_in_group_sql, id, group,
	    &found)) != 0)
		goto out;
	if (!found) {
		e = api_fail(r, AE_DEVICE_NOT_FOUND, "The device %" PRIu64
		    " does not exist in group %" PRIu64 ".", id, group);
		goto out;
	}
	if ((error = dev_check_refs(r, in, group, space_gb, &e)) != 0 ||
	    e != AE_OK)
		goto out;
	dev_id_text(did, in->directory);
	/* in the order of dev_update_sql */
	a[n++] = dev_arg(api_param(r, "Name"));
	a[n++] = dev_arg(api_param(r, "Description"));
	a[n++] = dev_arg(in->type);
	a[n++] = dev_arg(dev_flag(r, "AutoStart"));
	a[n++] = dev_arg(in->gb_id);
	a[n++] = (struct db_arg){ .type = 'i',
	    .i = res_given(r, "DirectoryId") };
	a[n++] = dev_arg(in->directory ? did : NULL);
	a[n++] = dev_arg(api_param(r, "Ip"));
	a[n++] = dev_arg(res_str(r, "Port"));
	a[n++] = dev_arg(res_str(r, "Username"));
	a[n++] = enc ? (struct db_arg){ .type = 'b', .s = (char *)enc,
	    .len = enclen } : dev_arg(NULL);
	a[n++] = dev_arg(api_param(r, "Vendor"));
	a[n++] = dev_arg(dev_clearable(r, "Longitude", in->lon));
	a[n++] = dev_arg(dev_clearable(r, "Latitude", in->lat));
	a[n++] = dev_arg(dev_flag(r, "AutoPos"));
	a[n++] = dev_arg(res_str(r, "PosInterval"));
	a[n++] = dev_arg(dev_clearable(r, "AlarmMethod",
	    in->alarm.p ? in->alarm.p : ""));
	a[n++] = dev_arg(dev_clearable(r, "Params", dev_or(r, "Params",
	    "{}")));
	a[n++] = (struct db_arg){ .type = 'i', .i = (int64_t)id };
	a[n++] = (struct db_arg){ .type = 'i', .i = (int64_t)r->tenant_id };
	if ((error = db_execv(r->db, NULL, dev_update_sql, a, n)) == EEXIST) {
		e = dev_duplicate(r, in->gb_id, group);
		error = 0;
	}
out:
	free(space_gb);
	free(enc);
	return res_tx_end(r, e, error);
}

static enum api_err
dev_modify(struct api_req *r)
{
	struct dev_input in;
	uint64_t group, id;
	enum api_err e;

	memset(&in, 0, sizeof(in));
	if ((e = res_id(r, "Id", &id)) != AE_OK ||
	    (e = res_id(r, "GroupId", &group)) != AE_OK ||
	    (e = dev_check_input(r, &in)) != AE_OK)
		goto out;
	if ((e = dev_modify_tx(r, &in, id, group)) == AE_OK)
		dev_reply_id(r, id);
out:
	buf_free(&in.alarm);
	return e;
}

/* The password as DescribeDevice returns it; "" when it does not open. */
static void
dev_json_secret(struct api_req *r, json_object *o, const char *key,
    const struct db_res *res, unsigned row, enum dev_col col)
{
	const char *id = db_res_get(res, row, DC_ID, NULL), *enc;
	char *plain = NULL;
	size_t enclen;

	enc = db_res_get(res, row, col, &enclen);
	if (enc == NULL || vault_open(id, enc, enclen, &plain) != 0)
		log_warnx("%s: device %s: the password does not unseal",
		    r->request_id, id);
	res_json_str(o, key, plain);
	if (plain != NULL) {
		OPENSSL_cleanse(plain, strlen(plain));
		free(plain);
	}
}

static void
dev_json_fields(struct api_req *r, json_object *o, const struct db_res *res,
    unsigned row, const struct dev_field *f)
{
	for (; f->key != NULL; f++) {
		const char *v = db_res_get(res, row, f->col, NULL);

		switch (f->kind) {
		case DK_STR:
			res_json_str(o, f->key, v);
			break;
		case DK_INT:
			res_json_int(o, f->key, v);
			break;
		case DK_BOOL:
			res_json_bool(o, f->key, v);
			break;
		case DK_TIME:
			res_json_time(o, f->key, v);
			break;
		case DK_SECRET:
			dev_json_secret(r, o, f->key, res, row, f->col);
			break;
		case DK_PROTOCOL:
			res_json_str(o, f->key, "gb28181");
			break;
		case DK_ZERO:
			res_json_int(o, f->key, "0");
			break;
		}
	}
}

/* One row of a device query as the spec's Device. */
static json_object *
dev_json(struct api_req *r, const struct db_res *res, unsigned row, int stats,
    int dir)
{
	json_object *o = json_object_new_object(), *x;

	dev_json_fields(r, o, res, row, dev_fields);
	if (stats) {
		x = json_object_new_object();
		dev_json_fields(r, x, res, row, dev_stat_fields);
		json_object_object_add(o, "Stats", x);
	}
	if (dir) {
		/* an empty object for a device outside any directory */
		x = json_object_new_object();
		if (db_res_get(res, row, DC_DIR_ID, NULL) != NULL)
			dev_json_fields(r, x, res, row, dev_dir_fields);
		json_object_object_add(o, "Directory", x);
	}
	return o;
}

/* Starts a device query: its columns, FROM, and the tenant. */
static void
dev_select(struct api_req *r, struct res_sql *q, int stats, int dir)
{
	res_sql_add(q, dev_cols_sql);
	res_sql_add(q, dir ? dev_dir_cols_sql : dev_no_dir_cols_sql);
	res_sql_add(q, stats ? dev_stats_sql : dev_no_stats_sql);
	res_sql_int(q, dir ? dev_from_dir_sql : dev_from_sql,
	    (int64_t)r->tenant_id);
}

static enum api_err
dev_get(struct api_req *r)
{
	int stats = res_bool(r, "IncludeStats", 0);
	int dir = res_bool(r, "IncludeDirectory", 0);
	struct res_sql q = { 0 };
	struct db_res *res = NULL;
	enum api_err e;
	uint64_t id;
	int error;

	if ((e = res_id(r, "Id", &id)) != AE_OK)
		return e;
	dev_select(r, &q, stats, dir);
	res_sql_int(&q, " AND d.id = ?", (int64_t)id);
	if ((error = res_sql_query(r, &q, &res)) != 0)
		e = api_fail_errno(r, error, "DescribeDevice");
	else if (db_res_rows(res) == 0)
		e = dev_not_found(r, id);
	else
		r->body = dev_json(r, res, 0, stats, dir);
	db_res_free(res);
	res_sql_free(&q);
	return e;
}

/* The filters of DescribeDevices. */
struct dev_filter {
	uint64_t	 group;
	uint64_t	 parent;
	const char	*gb_id;
	const char	*type;
	const char	*status;
	char		*name;	/* a LIKE pattern */
};

static enum api_err
dev_filter_parse(struct api_req *r, struct dev_filter *f)
{
	const char *name = res_str(r, "Name");
	enum api_err e;

	memset(f, 0, sizeof(*f));
	f->type = res_str(r, "Type");
	f->status = res_str(r, "Status");
	if ((e = res_id(r, "GroupId", &f->group)) != AE_OK ||
	    (e = dev_opt_id(r, "ParentId", &f->parent)) != AE_OK ||
	    (e = dev_check_gb_id(r, &f->gb_id)) != AE_OK ||
	    (e = res_enum(r, "Type", dev_types)) != AE_OK ||
	    (e = res_enum(r, "Status", dev_statuses)) != AE_OK)
		return e;
	if (name == NULL)
		return AE_OK;
	if ((f->name = res_like(name)) == NULL)
		return api_fail_errno(r, ENOMEM, "Name");
	return AE_OK;
}

static void
dev_where(struct res_sql *q, const struct dev_filter *f)
{
	res_sql_int(q, " AND d.group_id = ?", (int64_t)f->group);
	if (f->gb_id)
		res_sql_str(q, " AND d.gb_id = ?", f->gb_id);
	if (f->name)
		res_sql_str(q, " AND d.name COLLATE utf8mb4_unicode_ci LIKE ?",
		    f->name);
	if (f->parent)
		res_sql_int(q, " AND d.parent_id = ?", (int64_t)f->parent);
	if (f->type)
		res_sql_str(q, " AND d.type = ?", f->type);
	if (f->status)
		res_sql_str(q, " AND d.status = ?", f->status);
}

/*
 * Counts the matching devices; a GroupId not the tenant's is NotFound. With
 * no filter but Status and Type the count comes from device_counts (kept by
 * triggers), in the same statement as the space check: no scan at all.
 */
static enum api_err
dev_count(struct api_req *r, const struct dev_filter *f, long *total)
{
	struct res_sql q = { 0 };
	struct db_res *res = NULL;
	enum api_err e = AE_OK;
	int error, fast = !f->gb_id && !f->name && !f->parent;

	res_sql_add(&q, "SELECT s.id, ");
	if (fast) {
		res_sql_add(&q, "(SELECT COALESCE(SUM(c.n), 0) FROM"
		    " device_counts c WHERE c.group_id = s.id");
		if (f->status)
			res_sql_str(&q, " AND c.status = ?", f->status);
		if (f->type)
			res_sql_str(&q, " AND c.type = ?", f->type);
	} else {
		res_sql_add(&q, "(SELECT COUNT(*) FROM devices d WHERE"
		    " d.tenant_id = s.tenant_id");
		dev_where(&q, f);
	}
	res_sql_int(&q, ") FROM spaces s WHERE s.id = ?", (int64_t)f->group);
	res_sql_int(&q, " AND s.tenant_id = ?", (int64_t)r->tenant_id);
	if ((error = res_sql_query(r, &q, &res)) != 0)
		e = api_fail_errno(r, error, "DescribeDevices");
	else if (db_res_rows(res) == 0)
		e = api_fail(r, AE_GROUP_NOT_FOUND,
		    "The group %" PRIu64 " does not exist.", f->group);
	else
		*total = strtol(db_res_get(res, 0, 1, NULL), NULL, 10);
	db_res_free(res);
	res_sql_free(&q);
	return e;
}

static enum api_err
dev_list(struct api_req *r)
{
	int stats = res_bool(r, "IncludeStats", 0);
	int dir = res_bool(r, "IncludeDirectory", 0);
	json_object *list = NULL;
	struct res_sql q = { 0 };
	struct db_res *res = NULL;
	struct dev_filter f;
	struct res_page pg;
	enum api_err e;
	long total = 0;
	int error;

	res_page(r, &pg);
	if ((e = dev_filter_parse(r, &f)) != AE_OK)
		goto out;
	dev_select(r, &q, stats, dir);
	dev_where(&q, &f);
	if ((e = res_order(r, dev_sort, &q)) != AE_OK ||
	    (e = dev_count(r, &f, &total)) != AE_OK)
		goto out;
	res_sql_page(&q, &pg);
	list = json_object_new_array();
	/* a page past the end needs no query */
	if ((pg.num - 1) * pg.size < total) {
		if ((error = res_sql_query(r, &q, &res)) != 0) {
			e = api_fail_errno(r, error, "DescribeDevices");
			goto out;
		}
		for (unsigned i = 0; i < db_res_rows(res); i++)
			json_object_array_add(list,
			    dev_json(r, res, i, stats, dir));
	}
	res_page_json(res_body(r), &pg, total);
	json_object_object_add(r->body, "Devices", list);
	list = NULL;
out:
	json_object_put(list);
	db_res_free(res);
	res_sql_free(&q);
	free(f.name);
	return e;
}

/* Locks device id of the tenant; NotFound when it is not there. */
static int
dev_lock(struct api_req *r, uint64_t id, struct db_res **res, enum api_err *e)
{
	int error;

	if ((error = db_query(r->db, res, dev_lock_sql, "ii", (int64_t)id,
	    (int64_t)r->tenant_id)) != 0)
		return error;
	if (db_res_rows(*res) == 0)
		*e = dev_not_found(r, id);
	return 0;
}

/*
 * Deletes a device with its channels, streams and their template bindings,
 * unless one of its streams is live (the spec: stop it first).
 */
static enum api_err
dev_delete_one(struct api_req *r, uint64_t id, json_object *unused)
{
	struct db_res *dev = NULL, *st = NULL;
	enum api_err e = AE_OK;
	unsigned live = 0;
	int error;

	if ((error = db_begin(r->db)) != 0 ||
	    (error = dev_lock(r, id, &dev, &e)) != 0 || e != AE_OK ||
	    (error = db_query(r->db, &st, dev_streams_sql, "ii", (int64_t)id,
	    (int64_t)r->tenant_id)) != 0)
		goto out;
	for (unsigned i = 0; i < db_res_rows(st); i++)
		live += strcmp(db_res_get(st, i, 2, NULL), "on") == 0;
	if (live > 0) {
		e = api_fail(r, AE_DEVICE_STATUS, "The device %" PRIu64 " has "
		    "%u live stream(s): stop it before deleting it.", id, live);
		goto out;
	}
	for (size_t i = 0; dev_delete_sql[i] != NULL && error == 0; i++)
		error = db_exec(r->db, NULL, dev_delete_sql[i], "ii",
		    (int64_t)id, (int64_t)r->tenant_id);
out:
	db_res_free(dev);
	db_res_free(st);
	return res_tx_end(r, e, error);
}

/*
 * The space of device id must be enabled for a start or a stop. It is
 * locked (shared) before the device, as CreateDevice and ModifyDevice do,
 * so HaltGroup (the space, then its streams) cannot deadlock with us.
 */
static int
dev_space_on(struct api_req *r, uint64_t id, enum api_err *e)
{
	struct db_res *res;
	uint64_t group;
	int error;

	if ((error = db_query(r->db, &res, dev_group_of_sql, "ii",
	    (int64_t)id, (int64_t)r->tenant_id)) != 0)
		return error;
	if (db_res_rows(res) == 0) {
		db_res_free(res);
		*e = dev_not_found(r, id);
		return 0;
	}
	group = strtoull(db_res_get(res, 0, 0, NULL), NULL, 10);
	db_res_free(res);
	if ((error = db_query(r->db, &res, dev_space_sql, "ii",
	    (int64_t)group, (int64_t)r->tenant_id)) != 0)
		return error;
	if (db_res_rows(res) == 0 ||
	    strcmp(db_res_get(res, 0, 1, NULL), "0") == 0)
		*e = api_fail(r, AE_GROUP_STATUS, "The group %" PRIu64
		    " of the device is halted: enable it first.", group);
	db_res_free(res);
	return 0;
}

/* The device's own state allows a start or a stop. */
static enum api_err
dev_runnable(struct api_req *r, uint64_t id, const struct db_res *dev)
{
	if (strcmp(db_res_get(dev, 0, 1, NULL), "failed") == 0)
		return api_fail(r, AE_DEVICE_STATUS, "The device %" PRIu64
		    " is locked after failed authentications: unlock it "
		    "first.", id);
	if (strcmp(db_res_get(dev, 0, 2, NULL), "0") == 0)
		return api_fail(r, AE_DEVICE_STATUS,
		    "The device %" PRIu64 " is disabled.", id);
	return AE_OK;
}

/* Records a stream's desired state and queues the job that acts on it. */
static int
dev_run_stream(struct api_req *r, uint64_t device, uint64_t stream, int start)
{
	char payload[64];
	uint8_t *enc;
	size_t enclen;
	int error;

	if (start) {
		if ((error = dev_seal("access_info:", stream,
		    api_param(r, "AccessInfo"), &enc,
		    &enclen)) != 0)
			return error;
		error = db_exec(r->db, NULL, dev_stream_start_sql, "bii", enc,
		    enclen, (int64_t)stream, (int64_t)r->tenant_id);
		free(enc);
	} else
		error = db_exec(r->db, NULL, dev_stream_stop_sql, "ii",
		    (int64_t)stream, (int64_t)r->tenant_id);
	if (error)
		return error;
	snprintf(payload, sizeof(payload), "{\"device\":\"%" PRIu64 "\"}",
	    device);
	return job_enqueue(r->db, r->tenant_id, start ? "stream.start" :
	    "stream.stop", stream, payload);
}

/*
 * Start/Stop*Device: the desired state of the device and of each of its
 * streams, and a job per stream, in one transaction; the daemons change
 * the statuses when they have done it. A forbidden stream is not started.
 * streams gets an {Id[, Error]} per stream.
 */
static enum api_err
dev_run_one(struct api_req *r, uint64_t id, int start, json_object *streams)
{
	struct db_res *dev = NULL, *st = NULL;
	enum api_err e = AE_OK;
	int error;

	if ((error = db_begin(r->db)) != 0 ||
	    (error = dev_space_on(r, id, &e)) != 0 || e != AE_OK ||
	    (error = dev_lock(r, id, &dev, &e)) != 0 || e != AE_OK ||
	    (e = dev_runnable(r, id, dev)) != AE_OK ||
	    (error = db_exec(r->db, NULL, dev_desired_sql, "sii",
	    start ? "started" : "stopped", (int64_t)id,
	    (int64_t)r->tenant_id)) != 0 ||
	    (error = db_query(r->db, &st, dev_streams_sql, "ii", (int64_t)id,
	    (int64_t)r->tenant_id)) != 0)
		goto out;
	for (unsigned i = 0; i < db_res_rows(st) && error == 0; i++) {
		const char *sid = db_res_get(st, i, 0, NULL);
		json_object *o = json_object_new_object();

		res_json_str(o, "Id", sid);
		json_object_array_add(streams, o);
		if (start && strcmp(db_res_get(st, i, 1, NULL), "0") == 0)
			res_json_str(o, "Error", "The stream is forbidden.");
		else
			error = dev_run_stream(r, id,
			    strtoull(sid, NULL, 10), start);
	}
out:
	db_res_free(dev);
	db_res_free(st);
	return res_tx_end(r, e, error);
}

static enum api_err
dev_start_one(struct api_req *r, uint64_t id, json_object *streams)
{
	return dev_run_one(r, id, 1, streams);
}

static enum api_err
dev_stop_one(struct api_req *r, uint64_t id, json_object *streams)
{
	return dev_run_one(r, id, 0, streams);
}

/*
 * A failed (locked) device becomes off, its failures forgotten; a device in
 * another state has the addresses it was locked out from unlocked.
 */
static enum api_err
dev_unlock_one(struct api_req *r, uint64_t id, json_object *unused)
{
	struct db_res *dev = NULL;
	enum api_err e = AE_OK;
	uint64_t unlocked = 0;
	const char *status;
	int error, failed;

	if ((error = db_begin(r->db)) != 0 ||
	    (error = dev_lock(r, id, &dev, &e)) != 0 || e != AE_OK)
		goto out;
	status = db_res_get(dev, 0, 1, NULL);
	failed = strcmp(status, "failed") == 0;
	if ((error = db_exec(r->db, &unlocked, dev_unlock_addrs_sql, "ii",
	    (int64_t)id, (int64_t)failed)) != 0)
		goto out;
	if (failed)
		error = db_exec(r->db, NULL, dev_unlock_sql, "ii", (int64_t)id,
		    (int64_t)r->tenant_id);
	else if (unlocked == 0)
		e = api_fail(r, AE_DEVICE_STATUS, "The device %" PRIu64
		    " is not locked: its status is %s.", id, status);
out:
	db_res_free(dev);
	return res_tx_end(r, e, error);
}

typedef enum api_err (*dev_op)(struct api_req *, uint64_t, json_object *);

/* The one-device Actions: op on Id; reply with the Id when with_id. */
static enum api_err
dev_single(struct api_req *r, dev_op op, int with_id)
{
	json_object *streams = json_object_new_array();
	enum api_err e;
	uint64_t id;

	if ((e = res_id(r, "Id", &id)) == AE_OK &&
	    (e = op(r, id, streams)) == AE_OK && with_id)
		dev_reply_id(r, id);
	json_object_put(streams);
	return e;
}

/*
 * The Batch* Actions: op on each id of the comma list Id, each in its own
 * transaction; a failure is that item's Error, never the whole call's.
 */
static enum api_err
dev_batch(struct api_req *r, dev_op op, int with_streams)
{
	json_object *results, *o, *streams;
	enum api_err e;
	unsigned n;
	uint64_t id;
	char **ids;

	if ((e = res_split(r, "Id", &ids, &n)) != AE_OK)
		return e;
	results = json_object_new_array();
	for (unsigned i = 0; i < n; i++) {
		o = json_object_new_object();
		streams = json_object_new_array();
		res_json_str(o, "Id", ids[i]);
		if (res_parse_id(ids[i], &id) != 0)
			e = api_fail(r, AE_INVALID_PARAMETER,
			    "The device id %.32s is malformed.", ids[i]);
		else
			e = op(r, id, streams);
		if (e != AE_OK) {
			/* what the daemon would have done is moot */
			json_object_put(streams);
			streams = json_object_new_array();
			res_json_str(o, "Error", r->message);
			r->err = AE_OK;
			r->message[0] = '\0';
		}
		if (with_streams)
			json_object_object_add(o, "Streams", streams);
		else
			json_object_put(streams);
		json_object_array_add(results, o);
	}
	json_object_object_add(res_body(r), "Results", results);
	res_split_free(ids, n);
	return AE_OK;
}

static enum api_err
dev_delete(struct api_req *r)
{
	return dev_single(r, dev_delete_one, 0);
}

static enum api_err
dev_start(struct api_req *r)
{
	enum api_err e;

	if ((e = res_access_info(r)) != AE_OK)
		return e;
	return dev_single(r, dev_start_one, 1);
}

static enum api_err
dev_stop(struct api_req *r)
{
	return dev_single(r, dev_stop_one, 1);
}

static enum api_err
dev_unlock(struct api_req *r)
{
	return dev_single(r, dev_unlock_one, 1);
}

static enum api_err
dev_batch_delete(struct api_req *r)
{
	return dev_batch(r, dev_delete_one, 0);
}

static enum api_err
dev_batch_start(struct api_req *r)
{
	enum api_err e;

	if ((e = res_access_info(r)) != AE_OK)
		return e;
	return dev_batch(r, dev_start_one, 1);
}

static enum api_err
dev_batch_stop(struct api_req *r)
{
	return dev_batch(r, dev_stop_one, 1);
}

const struct route device_routes[] = {
	{ "DescribeDevices", dev_list, PERM_TENANT, dev_list_params },
	{ "DescribeDevice", dev_get, PERM_TENANT, dev_get_params },
	{ "BatchDeleteDevices", dev_batch_delete, PERM_TENANT,
	    dev_ids_params },
	{ "BatchStartDevices", dev_batch_start, PERM_TENANT,
	    dev_batch_start_params },
	{ "BatchStopDevices", dev_batch_stop, PERM_TENANT, dev_ids_params },
	{ "ModifyDevice", dev_modify, PERM_TENANT, dev_modify_params },
	{ "DeleteDevice", dev_delete, PERM_TENANT, dev_id_params },
	{ "CreateDevice", dev_create, PERM_TENANT, dev_create_params },
	{ "StartDevice", dev_start, PERM_TENANT, dev_start_params },
	{ "StopDevice", dev_stop, PERM_TENANT, dev_id_params },
	{ "UnlockDevice", dev_unlock, PERM_TENANT, dev_id_params },
	{ NULL, NULL, 0, NULL }
};
