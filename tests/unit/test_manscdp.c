/*
 * Unit test of sipd's MANSCDP side: the parser on bodies captured from real
 * devices (tests/data/manscdp, see its README) and on hostile ones, the
 * dispatch, the catalog aggregation and the subscriptions, with the SIP
 * side and the database replaced by recording doubles.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sipd/manscdp.h"
#include "t.h"

/* --- doubles of the SIP side (sipd/sip.c) --- */

static char sent[8][1024];
static int sent_n, sent_expires[8], keepalives, sip_fail;

static void
record(const char *body, size_t len, int expires)
{
	if (sent_n < 8) {
		snprintf(sent[sent_n], sizeof(sent[0]), "%.*s", (int)len, body);
		sent_expires[sent_n] = expires;
	}
	sent_n++;
}

int
sip_message(struct sipd *sd, struct gb_dev *dev, const char *body,
    size_t len)
{
	record(body, len, -1);
	return sip_fail;
}

int
sip_subscribe(struct sipd *sd, struct gb_dev *dev, const char *event,
    int expires, const char *body, size_t len)
{
	T_STREQ(event, "presence");
	record(body, len, expires);
	return sip_fail;
}

void
keepalive_seen(struct sipd *sd, struct gb_dev *dev)
{
	keepalives++;
}

/* --- doubles of the database --- */

static struct catalog_item applied[32];
static char applied_names[32][256];
static size_t applied_n;
static int applies, infos, positions, alarms;
static char info_s[3][128];
static char pos_s[4][64], alarm_s[6][64];
static size_t alarm_desc_chars;
static int64_t now_ms = 1000000;

static int
t_channel_known(struct sipd *sd, struct gb_dev *dev, const char *gb_id)
{
	/* the test device's channels: 3402000000131xxxxxxx */
	return strncmp(gb_id, "3402000000131", 13) == 0;
}

static int
t_catalog_apply(struct sipd *sd, struct gb_dev *dev,
    const struct catalog_item *items, size_t n)
{
	applies++;
	applied_n = n;
	for (size_t i = 0; i < n && i < 32; i++) {
		applied[i] = items[i];
		snprintf(applied_names[i], sizeof(applied_names[i]), "%s",
		    items[i].name);
		applied[i].name = applied_names[i];
	}
	return 0;
}

static int
t_device_info(struct sipd *sd, struct gb_dev *dev,
    const struct manscdp_devinfo *i)
{
	infos++;
	snprintf(info_s[0], sizeof(info_s[0]), "%s", i->vendor);
	snprintf(info_s[1], sizeof(info_s[1]), "%s", i->model);
	snprintf(info_s[2], sizeof(info_s[2]), "%s", i->firmware);
	return 0;
}

static int
t_position(struct sipd *sd, struct gb_dev *dev,
    const struct manscdp_position *p)
{
	positions++;
	snprintf(pos_s[0], sizeof(pos_s[0]), "%s", p->gb_id);
	snprintf(pos_s[1], sizeof(pos_s[1]), "%s", p->time ? p->time : "-");
	snprintf(pos_s[2], sizeof(pos_s[2]), "%s/%s", p->longitude,
	    p->latitude);
	snprintf(pos_s[3], sizeof(pos_s[3]), "%s/%s/%s", p->speed,
	    p->direction, p->altitude);
	return 0;
}

static int
t_alarm(struct sipd *sd, struct gb_dev *dev, const struct manscdp_alarm *a)
{
	alarms++;
	snprintf(alarm_s[0], sizeof(alarm_s[0]), "%s", a->gb_id);
	snprintf(alarm_s[1], sizeof(alarm_s[1]), "%s/%s/%s", a->priority,
	    a->method, a->type);
	snprintf(alarm_s[2], sizeof(alarm_s[2]), "%s", a->time ? a->time : "-");
	snprintf(alarm_s[3], sizeof(alarm_s[3]), "%s", a->time_raw);
	snprintf(alarm_s[4], sizeof(alarm_s[4]), "%s", a->description);
	alarm_desc_chars = 0;
	for (const char *p = a->description; *p != '\0'; p++)
		alarm_desc_chars += (*p & 0xc0) != 0x80;
	snprintf(alarm_s[5], sizeof(alarm_s[5]), "%s/%s", a->longitude,
	    a->latitude);
	return 0;
}

static int64_t
t_now(void)
{
	return now_ms;
}

static const struct manscdp_ops t_ops = {
	t_channel_known, t_catalog_apply, t_device_info, t_position, t_alarm,
	t_now
};

/* --- helpers --- */

static char *
slurp(const char *name, size_t *len)
{
	return t_load("tests/data/manscdp", name, len);
}

static struct manscdp_doc *
parse_file(const char *name)
{
	struct manscdp_doc *d = NULL;
	size_t len;
	char *b = slurp(name, &len);
	int e = manscdp_parse(&d, b, len);

	T_OK(e == 0, "%s parses: %s", name, strerror(e));
	free(b);
	return d;
}

static int
handle_file(struct gb_dev *dev, const char *name)
{
	size_t len;
	char *b = slurp(name, &len);
	int status = manscdp_handle(NULL, dev, b, len);

	free(b);
	return status;
}

static int
handle_str(struct gb_dev *dev, const char *s)
{
	return manscdp_handle(NULL, dev, s, strlen(s));
}

static int
parse_str(const char *s)
{
	struct manscdp_doc *d = NULL;
	int e = manscdp_parse(&d, s, strlen(s));

	manscdp_free(d);
	return e;
}

static unsigned
count(const struct manscdp_node *n)
{
	unsigned c = 0;

	for (; n != NULL; n = manscdp_next(n))
		c++;
	return c;
}

/* --- the parser on captured bodies --- */

static void
test_captured(void)
{
	struct manscdp_doc *d;
	const struct manscdp_node *r, *it;

	if ((d = parse_file("hik_ipc_keepalive.xml")) != NULL) {
		r = manscdp_root(d);
		T_STREQ(manscdp_name(r), "Notify");
		T_STREQ(manscdp_text(r, "CmdType"), "Keepalive");
		T_STREQ(manscdp_text(r, "SN"), "9");
		T_STREQ(manscdp_text(r, "DeviceID"), "34020000001320000002");
		T_STREQ(manscdp_text(r, "Status"), "OK");
		T_STREQ(manscdp_text(r, "Info"), "");
		T_OK(manscdp_text(r, "Nothing") == NULL, "absent element");
		T_STREQ(manscdp_charset(d), "UTF-8");
		manscdp_free(d);
	}
	if ((d = parse_file("hik_ipc_deviceinfo.xml")) != NULL) {
		r = manscdp_root(d);
		T_STREQ(manscdp_name(r), "Response");
		T_STREQ(manscdp_text(r, "Result"), "OK");
		T_STREQ(manscdp_text(r, "DeviceName"), "IP CAMERA");
		T_STREQ(manscdp_text(r, "Manufacturer"), "Hikvision");
		T_STREQ(manscdp_text(r, "Model"), "DS-2CD5024EFWD");
		T_STREQ(manscdp_text(r, "Firmware"), "V5.5.85");
		T_STREQ(manscdp_text(r, "Channel"), "1");
		manscdp_free(d);
	}
	if ((d = parse_file("hik_ipc_catalog.xml")) != NULL) {
		r = manscdp_root(d);
		T_STREQ(manscdp_text(r, "SumNum"), "2");
		T_STREQ(manscdp_attr(manscdp_find(r, "DeviceList"), "Num"),
		    "2");
		T_OK(manscdp_attr(manscdp_find(r, "DeviceList"), "X") == NULL,
		    "absent attribute");
		it = manscdp_find(r, "DeviceList/Item");
		T_OK(count(it) == 2, "2 items");
		T_STREQ(manscdp_text(it, "DeviceID"), "34020000001310000001");
		T_STREQ(manscdp_text(it, "Name"), "hikangname");
		T_STREQ(manscdp_text(it, "ParentID"), "34020000002000000001");
		it = manscdp_next(it);
		T_STREQ(manscdp_text(it, "DeviceID"), "34020000001340000001");
		T_STREQ(manscdp_text(it, "Name"), "");
		T_STREQ(manscdp_text(it, "Model"), "AlarmIn");
		T_STREQ(manscdp_text(r, "DeviceList/Item/Status"), "ON");
		manscdp_free(d);
	}
	if ((d = parse_file("hik_ipc_alarm.xml")) != NULL) {
		r = manscdp_root(d);
		T_STREQ(manscdp_text(r, "CmdType"), "Alarm");
		T_STREQ(manscdp_text(r, "AlarmPriority"), "4");
		T_STREQ(manscdp_text(r, "AlarmMethod"), "5");
		T_STREQ(manscdp_text(r, "AlarmTime"), "2025-04-22T11:26:02");
		T_STREQ(manscdp_text(r, "Info/AlarmType"), "2");
		manscdp_free(d);
	}
	/* a raw GB2312 body: its name arrives as UTF-8 */
	if ((d = parse_file("hik_ipc_presetquery.xml")) != NULL) {
		r = manscdp_root(d);
		T_STREQ(manscdp_charset(d), "GB18030");
		T_STREQ(manscdp_text(r, "PresetList/Item/PresetName"),
		    "\xe9\xa2\x84\xe7\xbd\xae\xe7\x82\xb9 1");
		T_STREQ(manscdp_attr(manscdp_find(r, "PresetList"), "Num"),
		    "1");
		manscdp_free(d);
	}
	if ((d = parse_file("hik_ipc_catalog_gb2312.xml")) != NULL) {
		r = manscdp_root(d);
		T_STREQ(manscdp_charset(d), "GB18030");
		T_STREQ(manscdp_text(r, "DeviceList/Item/Name"),
		    "\xe5\xa4\xa7\xe9\x97\xa8\xe5\x85\xa5\xe5\x8f\xa3\xe6\x91"
		    "\x84\xe5\x83\x8f\xe6\x9c\xba");
		manscdp_free(d);
	}
	if ((d = parse_file("dahua_sd_keepalive.xml")) != NULL) {
		r = manscdp_root(d);
		T_STREQ(manscdp_text(r, "CmdType"), "Keepalive");
		T_STREQ(manscdp_text(r, "SN"), "539");
		manscdp_free(d);
	}
	if ((d = parse_file("dahua_sd_catalog.xml")) != NULL) {
		r = manscdp_root(d);
		it = manscdp_find(r, "DeviceList/Item");
		T_OK(count(it) == 1, "1 item");
		T_STREQ(manscdp_text(it, "Name"), "DH71");
		T_STREQ(manscdp_text(it, "Model"), "DH-SD-6C3230UE-HN");
		T_STREQ(manscdp_text(it, "Info/PTZType"), "3");
		T_STREQ(manscdp_text(it, "Info/DownloadSpeed"), "1/2/4/8");
		manscdp_free(d);
	}
	if ((d = parse_file("dahua_sd_deviceinfo.xml")) != NULL) {
		r = manscdp_root(d);
		T_STREQ(manscdp_text(r, "Firmware"),
		    "2.623.0000000.17.R,2019-01-19");
		T_STREQ(manscdp_text(r, "DeviceType"), "SD");
		T_STREQ(manscdp_text(r, "Password"), "******");
		manscdp_free(d);
	}
	if ((d = parse_file("hik_nvr_recordinfo.xml")) != NULL) {
		r = manscdp_root(d);
		it = manscdp_find(r, "RecordList/Item");
		T_OK(count(it) == 2, "2 records");
		T_STREQ(manscdp_text(manscdp_next(it), "FilePath"),
		    "1714806986_1714808977");
		manscdp_free(d);
	}
	if ((d = parse_file("hik_nvr_catalog_part1.xml")) != NULL) {
		r = manscdp_root(d);
		T_STREQ(manscdp_text(r, "SumNum"), "8");
		it = manscdp_find(r, "DeviceList/Item");
		T_OK(count(it) == 2, "2 of 8 items");
		T_STREQ(manscdp_text(manscdp_next(it), "Status"), "OFF");
		manscdp_free(d);
	}
	if ((d = parse_file("wvp_cascade_catalog.xml")) != NULL) {
		r = manscdp_root(d);
		T_STREQ(manscdp_text(r, "DeviceList/Item/Owner"), "Owner");
		T_STREQ(manscdp_text(r, "DeviceList/Item/CivilCode"), "null");
		manscdp_free(d);
	}
	for (const char *const *f = (const char *const []){
	    "hik_ipc_keepalive_wvp1605.xml", "hik_catalog_doc586.xml",
	    "mobilepos_2016.xml", "mobilepos_2022.xml",
	    "hik_nvr_catalog_part2.xml", NULL }; *f != NULL; f++)
		manscdp_free(parse_file(*f));
}

/* --- the parser on the rest of XML and on hostile input --- */

static void
test_syntax(void)
{
	struct manscdp_doc *d;
	const struct manscdp_node *r;
	static const char ok[] =
	    "\xef\xbb\xbf<?xml version='1.0'?>\r\n<!-- c --><?pi x?>\n"
	    "<A  n = 'v&amp;&#x4E2D;' m=\"&lt;&quot;\">"
	    " a&lt;b&gt;c &apos;&#65;&#x42;<![CDATA[<raw>&amp;]]>"
	    "<B/><!-- inside --><C x=\"1\"></C >tail </A>\n<!-- after -->\0\0";

	T_OK(manscdp_parse(&d, ok, sizeof(ok) - 1) == 0, "full syntax");
	if (d != NULL) {
		r = manscdp_root(d);
		T_STREQ(manscdp_text(r, NULL), "a<b>c 'AB<raw>&amp;tail");
		T_STREQ(manscdp_attr(r, "n"), "v&\xe4\xb8\xad");
		T_STREQ(manscdp_attr(r, "m"), "<\"");
		T_STREQ(manscdp_text(r, "B"), "");
		T_STREQ(manscdp_attr(manscdp_find(r, "C"), "x"), "1");
		T_STREQ(manscdp_name(manscdp_sibling(manscdp_first(r))), "C");
		manscdp_free(d);
	}

	static const struct {
		const char	*what;
		const char	*xml;
	} bad[] = {
		{ "empty", "" },
		{ "no root", "<?xml version=\"1.0\"?>" },
		{ "text only", "Keepalive" },
		{ "unterminated", "<Notify><CmdType>Keepalive</CmdType>" },
		{ "cut in a tag", "<Notify><CmdType" },
		{ "cut in an end tag", "<a></a" },
		{ "mismatched close", "<a><b></a></b>" },
		{ "case of close", "<a></A>" },
		{ "two roots", "<a/><b/>" },
		{ "text after root", "<a/>x" },
		{ "unknown entity", "<a>&nbsp;</a>" },
		{ "bare ampersand", "<a>A & B</a>" },
		{ "huge entity", "<a>&#99999999;</a>" },
		{ "beyond unicode", "<a>&#x110000;</a>" },
		{ "surrogate", "<a>&#xD800;</a>" },
		{ "nul entity", "<a>&#0;</a>" },
		{ "long entity", "<a>&#00000000065;</a>" },
		{ "empty entity", "<a>&#;</a>" },
		{ "doctype", "<!DOCTYPE a [<!ENTITY x \"xx\">]><a>&x;</a>" },
		{ "attr without quotes", "<a n=1/>" },
		{ "attr without value", "<a n/>" },
		{ "duplicate attr", "<a n='1' n='2'/>" },
		{ "attrs unseparated", "<a n='1'm='2'/>" },
		{ "lt in attr", "<a n='<'/>" },
		{ "cdata unterminated", "<a><![CDATA[x</a>" },
		{ "comment unterminated", "<a><!-- x</a>" },
		{ "bad name", "<1a/>" },
		{ "nul inside", "<a>x\0y</a>" },
		{ "invalid utf-8, not gb", "<a>\xff\xfe</a>" },
		{ "truncated gb2312",
		  "<?xml version=\"1.0\" encoding=\"GB2312\"?><a>\xc4</a>" },
		{ "gb2312 cut at the end", "<a>x</a>\xc4" },
		{ "lone continuation byte", "<a>\x80</a>" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t len = strlen(bad[i].xml);

		if (strcmp(bad[i].what, "nul inside") == 0)
			len = 10;
		T_OK(manscdp_parse(&d, bad[i].xml, len) == EBADMSG &&
		    d == NULL, "%s refused", bad[i].what);
	}

	/* undeclared GB2312 (not UTF-8) and GB2312 declared as UTF-8 */
	T_OK(manscdp_parse(&d, "<a>\xd6\xd0</a>", 9) == 0, "undeclared GB");
	if (d != NULL) {
		T_STREQ(manscdp_text(manscdp_root(d), NULL), "\xe4\xb8\xad");
		manscdp_free(d);
	}
	T_OK(parse_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
	    "<a>\xd6\xd0</a>") == 0, "GB declared UTF-8");
	/* declared GB2312, valid as both: the declaration wins */
	T_OK(manscdp_parse(&d, "<?xml version=\"1.0\" encoding=\"GB2312\"?>"
	    "<a>\xc4\xa1</a>", 48) == 0, "GB declared, UTF-8 too");
	if (d != NULL) {
		T_STREQ(manscdp_charset(d), "GB18030");
		T_STREQ(manscdp_text(manscdp_root(d), NULL), "\xe6\x91\xb9");
		manscdp_free(d);
	}
	/* UTF-8 declared GB2312 that is not GB: read as UTF-8 */
	T_OK(manscdp_parse(&d, "<?xml version=\"1.0\" encoding=\"GB2312\"?>"
	    "<a>\xe4\xb8\xad</a>", 49) == 0, "UTF-8 declared GB");
	if (d != NULL) {
		T_STREQ(manscdp_text(manscdp_root(d), NULL), "\xe4\xb8\xad");
		T_STREQ(manscdp_charset(d), "UTF-8");
		manscdp_free(d);
	}

	/* limits: depth, elements, size, attributes */
	{
		char deep[512] = "", big[70000];
		size_t n = 0;

		for (int i = 0; i < MANSCDP_DEPTH_MAX; i++)
			n += (size_t)snprintf(deep + n, 512 - n, "<e>");
		for (int i = 0; i < MANSCDP_DEPTH_MAX; i++)
			n += (size_t)snprintf(deep + n, 512 - n, "</e>");
		T_OK(parse_str(deep) == 0, "depth %d", MANSCDP_DEPTH_MAX);
		n = 0;
		for (int i = 0; i <= MANSCDP_DEPTH_MAX; i++)
			n += (size_t)snprintf(deep + n, 512 - n, "<e>");
		for (int i = 0; i <= MANSCDP_DEPTH_MAX; i++)
			n += (size_t)snprintf(deep + n, 512 - n, "</e>");
		T_OK(parse_str(deep) == EBADMSG, "depth %d refused",
		    MANSCDP_DEPTH_MAX + 1);

		n = (size_t)snprintf(big, sizeof(big), "<r>");
		for (int i = 0; i < MANSCDP_NODES_MAX - 1; i++)
			n += (size_t)snprintf(big + n, sizeof(big) - n, "<i/>");
		snprintf(big + n, sizeof(big) - n, "</r>");
		T_OK(parse_str(big) == 0, "%d elements", MANSCDP_NODES_MAX);
		snprintf(big + n, sizeof(big) - n, "<i/></r>");
		T_OK(parse_str(big) == EBADMSG, "%d elements refused",
		    MANSCDP_NODES_MAX + 1);

		memset(big, ' ', sizeof(big));
		memcpy(big, "<r>", 3);
		memcpy(big + MANSCDP_BODY_MAX - 4, "</r>", 4);
		T_OK(manscdp_parse(&d, big, MANSCDP_BODY_MAX) == 0,
		    "64 KB body");
		manscdp_free(d);
		memcpy(big + MANSCDP_BODY_MAX - 4, "    ", 4);
		memcpy(big + MANSCDP_BODY_MAX - 3, "</r>", 4);
		T_OK(manscdp_parse(&d, big, MANSCDP_BODY_MAX + 1) == EBADMSG,
		    "64 KB + 1 refused");

		n = (size_t)snprintf(big, sizeof(big), "<r");
		for (int i = 0; i <= MANSCDP_ATTRS_MAX; i++)
			n += (size_t)snprintf(big + n, sizeof(big) - n,
			    " a%d='%d'", i, i);
		snprintf(big + n, sizeof(big) - n, "/>");
		T_OK(parse_str(big) == EBADMSG, "%d attributes refused",
		    MANSCDP_ATTRS_MAX + 1);
	}
}

/* --- dispatch, catalog, subscriptions --- */

static struct gb_dev *
test_dev(void)
{
	static struct gb_dev dev;

	memset(&dev, 0, sizeof(dev));
	dev.id = 1700000000000101ULL;
	dev.tenant_id = 7;
	dev.group_id = 1700000000000100ULL;
	snprintf(dev.gb_id, sizeof(dev.gb_id), "34020000001320000002");
	snprintf(dev.group_gb_id, sizeof(dev.group_gb_id),
	    "34020000002000000001");
	dev.pos_interval = 5;
	return &dev;
}

static void
test_dispatch(void)
{
	struct gb_dev *dev = test_dev();
	struct manscdp_doc *d;

	T_OK(handle_file(dev, "hik_ipc_keepalive.xml") == 200, "keepalive");
	T_OK(keepalives == 1, "keepalive seen");
	T_OK(handle_file(dev, "dahua_sd_keepalive.xml") == 200,
	    "dahua keepalive");
	T_OK(keepalives == 2, "keepalive seen");
	/* another device's keepalive is refused */
	T_OK(handle_file(dev, "hik_ipc_keepalive_wvp1605.xml") == 400,
	    "foreign DeviceID");
	T_OK(keepalives == 2, "not seen");
	T_OK(handle_str(dev, "<Notify>") == 400, "broken body");
	T_OK(handle_str(dev, "<Notify><SN>1</SN></Notify>") ==
	    400, "no CmdType");

	T_OK(handle_file(dev, "hik_ipc_deviceinfo.xml") == 200, "deviceinfo");
	T_OK(infos == 1, "info stored");
	T_STREQ(info_s[0], "Hikvision");
	T_STREQ(info_s[1], "DS-2CD5024EFWD");
	T_STREQ(info_s[2], "V5.5.85");
	T_OK(handle_file(dev, "dahua_sd_deviceinfo.xml") == 200, "dahua info");
	T_STREQ(info_s[2], "2.623.0000000.17.R,2019-01-19");

	/* an alarm of a channel: stored, and acknowledged */
	sent_n = 0;
	T_OK(handle_file(dev, "hik_ipc_alarm.xml") == 200, "alarm");
	T_OK(alarms == 1, "alarm stored");
	T_STREQ(alarm_s[0], "34020000001310000001");
	T_STREQ(alarm_s[1], "4/5/2");
	T_STREQ(alarm_s[2], "2025-04-22 11:26:02");
	T_STREQ(alarm_s[3], "2025-04-22T11:26:02");
	T_STREQ(alarm_s[5], "/");
	T_OK(sent_n == 1, "alarm response sent");
	if (manscdp_parse(&d, sent[0], strlen(sent[0])) == 0) {
		const struct manscdp_node *r = manscdp_root(d);

		T_STREQ(manscdp_name(r), "Response");
		T_STREQ(manscdp_text(r, "CmdType"), "Alarm");
		T_STREQ(manscdp_text(r, "SN"), "99");
		T_STREQ(manscdp_text(r, "DeviceID"), "34020000001310000001");
		T_STREQ(manscdp_text(r, "Result"), "OK");
		manscdp_free(d);
	} else
		T_OK(0, "alarm response parses");
	T_OK(handle_str(dev, "<Response><CmdType>Alarm</CmdType>"
	    "<SN>3</SN><DeviceID>34020000001320000002</DeviceID>"
	    "<Result>OK</Result></Response>") == 200, "bare response");
	T_OK(alarms == 1, "no alarm in a bare response");
	{
		/* a description longer than the column: cut to 1024
		 * characters (3 bytes each here), whole ones */
		char body[8192];
		int n = snprintf(body, sizeof(body), "<Notify><CmdType>Alarm"
		    "</CmdType><SN>4</SN><DeviceID>34020000001320000002"
		    "</DeviceID><AlarmPriority>123456789</AlarmPriority>"
		    "<AlarmTime>x</AlarmTime><AlarmDescription>");

		for (int i = 0; i < 1500; i++)
			n += snprintf(body + n, sizeof(body) - (size_t)n,
			    "\xe4\xb8\xad");
		snprintf(body + n, sizeof(body) - (size_t)n,
		    "</AlarmDescription></Notify>");
		T_OK(handle_str(dev, body) == 200, "long alarm");
		T_OK(alarms == 2, "stored");
		T_OK(alarm_desc_chars == 1024, "%zu characters",
		    alarm_desc_chars);
		T_STREQ(alarm_s[1], "12345678//");
		T_STREQ(alarm_s[2], "-");
		T_STREQ(alarm_s[3], "x");
	}

	/* not handled: answered 200 */
	T_OK(handle_file(dev, "hik_nvr_recordinfo.xml") == 200, "RecordInfo");

	T_OK(handle_file(dev, "mobilepos_2016.xml") == 200, "position 2016");
	T_OK(positions == 1, "position stored");
	T_STREQ(pos_s[0], "34020000001320000002");
	T_STREQ(pos_s[1], "2025-04-22 11:30:00");
	T_STREQ(pos_s[2], "121.448204/31.222650");
	T_STREQ(pos_s[3], "0.0/90.5/12.0");
	/* the 2022 form, of a device of this test */
	snprintf(dev->gb_id, sizeof(dev->gb_id), "31010400001320000002");
	T_OK(handle_file(dev, "mobilepos_2022.xml") == 200, "position 2022");
	T_OK(positions == 2, "position stored");
	T_STREQ(pos_s[1], "2026-05-31 14:57:23");
	T_STREQ(pos_s[3], "0.000000/0.000000/0");
	snprintf(dev->gb_id, sizeof(dev->gb_id), "34020000001320000002");
	T_OK(handle_str(dev, "<Notify><CmdType>MobilePosition"
	    "</CmdType><DeviceID>34020000001320000002</DeviceID><Longitude>"
	    "200</Longitude><Latitude>1</Latitude></Notify>") == 200,
	    "bad position answered");
	T_OK(positions == 2, "bad position not stored");
	manscdp_forget(NULL, dev);
}

static void
test_catalog(void)
{
	struct gb_dev *dev = test_dev();
	static const char *const parts[] = { "hik_nvr_catalog_part1.xml",
	    "hik_nvr_catalog_part2.xml", "hik_nvr_catalog_part3.xml",
	    "hik_nvr_catalog_part4.xml" };

	T_OK(catalog_is_channel("34020000001310000001"), "131 channel");
	T_OK(catalog_is_channel("34020000001340000001"), "134 channel");
	T_OK(!catalog_is_channel("34020000002000000001"), "200 not");
	T_OK(!catalog_is_channel("34020000002150000001"), "215 not");
	T_OK(!catalog_is_channel("34020000002160000001"), "216 not");
	T_OK(!catalog_is_channel("3402000000131000001"), "19 digits not");
	T_OK(!catalog_is_channel("3402000000131000000a"), "letter not");

	/* the NVR's catalog, device id 34020000001110000001 */
	snprintf(dev->gb_id, sizeof(dev->gb_id), "34020000001110000001");
	applies = 0;
	for (int i = 0; i < 4; i++) {
		T_OK(handle_file(dev, parts[i]) == 200, "part %d", i + 1);
		T_OK(applies == (i == 3), "applied after part %d: %d", i + 1,
		    applies);
		if (i == 1)
			/* a duplicate does not count twice */
			T_OK(handle_file(dev, parts[1]) == 200, "again");
	}
	T_OK(applied_n == 8, "8 items");
	T_STREQ(applied[0].id, "34020000001320000001");
	T_STREQ(applied[0].name, "Camera 01");
	T_STREQ(applied[7].id, "34020000001320000008");
	T_OK(applied[7].channel, "a channel");
	/* the same SN again is late: not applied twice */
	T_OK(handle_file(dev, parts[3]) == 200, "late");
	T_OK(applies == 1, "not applied again");

	/* two parts of a new SN, then silence: nothing applied */
	applies = 0;
	{
		size_t len;
		char *b = slurp(parts[0], &len), *p = strstr(b, "419315752");

		memcpy(p, "419315753", 9);
		T_OK(manscdp_handle(NULL, dev, b, len) == 200, "new SN");
		free(b);
	}
	now_ms += CATALOG_TIMEOUT_MS - 1;
	manscdp_tick(NULL);
	T_OK(((struct mans_dev *)dev->mans)->cat_active, "still waiting");
	now_ms += 1;
	manscdp_tick(NULL);
	T_OK(!((struct mans_dev *)dev->mans)->cat_active, "given up");
	T_OK(applies == 0, "partial catalog not applied");

	/* a GB2312 catalog of an IPC: names in UTF-8, the alarm input too */
	snprintf(dev->gb_id, sizeof(dev->gb_id), "34020000001320000002");
	T_OK(handle_file(dev, "hik_ipc_catalog_gb2312.xml") == 200, "gb2312");
	T_OK(applies == 1 && applied_n == 2, "applied, 2 items");
	T_STREQ(applied[0].name, "\xe5\xa4\xa7\xe9\x97\xa8\xe5\x85\xa5\xe5"
	    "\x8f\xa3\xe6\x91\x84\xe5\x83\x8f\xe6\x9c\xba");
	T_OK(applied[0].channel && applied[1].channel, "both channels");

	/* a cascade: one channel, DeviceID of the platform */
	snprintf(dev->gb_id, sizeof(dev->gb_id), "11010800001181000110");
	T_OK(handle_file(dev, "wvp_cascade_catalog.xml") == 200, "cascade");
	T_OK(applies == 2 && applied_n == 1, "applied, 1 item");
	T_STREQ(applied[0].id, "11010800001311000054");

	/* an empty catalog is complete at once */
	T_OK(handle_str(dev, "<Response><CmdType>Catalog</CmdType>"
	    "<SN>5</SN><DeviceID>11010800001181000110</DeviceID><SumNum>0"
	    "</SumNum></Response>") == 200, "empty catalog");
	T_OK(applies == 3 && applied_n == 0, "applied, no item");
	T_OK(handle_str(dev, "<Response><CmdType>Catalog</CmdType>"
	    "<SN>6</SN><DeviceID>11010800001181000110</DeviceID><SumNum>x"
	    "</SumNum></Response>") == 400, "bad SumNum");

	/* a coordinate too long for the column is dropped */
	manscdp_forget(NULL, dev);
	T_OK(dev->mans == NULL, "forgotten");
}

static void
test_queries(void)
{
	struct gb_dev *dev = test_dev();
	struct manscdp_doc *d;

	sent_n = 0;
	catalog_query(NULL, dev);
	T_OK(sent_n == 2, "two queries");
	for (int i = 0; i < 2 && i < sent_n; i++) {
		if (manscdp_parse(&d, sent[i], strlen(sent[i])) != 0) {
			T_OK(0, "query %d parses", i);
			continue;
		}
		T_STREQ(manscdp_name(manscdp_root(d)), "Query");
		T_STREQ(manscdp_text(manscdp_root(d), "CmdType"),
		    i == 0 ? "Catalog" : "DeviceInfo");
		T_STREQ(manscdp_text(manscdp_root(d), "DeviceID"),
		    "34020000001320000002");
		T_OK(atoi(manscdp_text(manscdp_root(d), "SN")) > 0, "SN");
		manscdp_free(d);
	}

	/* no answer: asked again every 10 s, three queries in all */
	sent_n = 0;
	now_ms += 10000;
	manscdp_tick(NULL);
	T_OK(sent_n == 2, "asked again: %d", sent_n);
	now_ms += 10000;
	manscdp_tick(NULL);
	T_OK(sent_n == 4, "third query: %d", sent_n);
	now_ms += 10000;
	manscdp_tick(NULL);
	T_OK(sent_n == 4, "then given up: %d", sent_n);

	/* subscriptions: both asked for */
	dev->auto_pos = 1;
	dev->pos_interval = 30;
	snprintf(dev->alarm_method, sizeof(dev->alarm_method), "5,7");
	sent_n = 0;
	subscribe_start(NULL, dev);
	T_OK(sent_n == 2, "two subscriptions: %d", sent_n);
	T_OK(sent_expires[0] == 3600 && sent_expires[1] == 3600, "3600 s");
	if (manscdp_parse(&d, sent[0], strlen(sent[0])) == 0) {
		T_STREQ(manscdp_text(manscdp_root(d), "CmdType"),
		    "MobilePosition");
		T_STREQ(manscdp_text(manscdp_root(d), "Interval"), "30");
		manscdp_free(d);
	}
	if (manscdp_parse(&d, sent[1], strlen(sent[1])) == 0) {
		T_STREQ(manscdp_text(manscdp_root(d), "CmdType"), "Alarm");
		T_STREQ(manscdp_text(manscdp_root(d), "AlarmMethod"), "57");
		T_STREQ(manscdp_text(manscdp_root(d), "StartAlarmPriority"),
		    "0");
		T_STREQ(manscdp_text(manscdp_root(d), "EndAlarmPriority"),
		    "0");
		manscdp_free(d);
	}
	/* a REGISTER refresh soon after does not resubscribe */
	subscribe_start(NULL, dev);
	T_OK(sent_n == 2, "no resubscription");
	now_ms += 2400 * 1000 - 1;
	manscdp_tick(NULL);
	T_OK(sent_n == 2, "not yet renewed");
	now_ms += 1;
	manscdp_tick(NULL);
	T_OK(sent_n == 4, "renewed at 2/3 of 3600 s");
	/* a failed SUBSCRIBE is retried after a minute */
	dev->pos_interval = 10;
	sip_fail = ENOENT;
	manscdp_tick(NULL);
	T_OK(sent_n == 5, "interval changed: resubscribed");
	sip_fail = 0;
	now_ms += SUBSCRIBE_RETRY_MS - 1;
	manscdp_tick(NULL);
	T_OK(sent_n == 5, "not retried yet");
	now_ms += 1;
	manscdp_tick(NULL);
	T_OK(sent_n == 6, "retried");
	/* settings gone: cancelled with Expires 0 */
	dev->auto_pos = 0;
	dev->alarm_method[0] = '\0';
	manscdp_tick(NULL);
	T_OK(sent_n == 8 && sent_expires[6] == 0 && sent_expires[7] == 0,
	    "cancelled: %d", sent_n);
	manscdp_tick(NULL);
	T_OK(sent_n == 8, "once");
	manscdp_forget(NULL, dev);
}

static void
test_helpers(void)
{
	char t[20];

	T_OK(manscdp_time("2025-04-22T11:26:02", t) && strcmp(t,
	    "2025-04-22 11:26:02") == 0, "time");
	T_OK(manscdp_time("2025-04-22T11:26:02.123", t), "time with ms");
	T_OK(!manscdp_time("2025-04-22T11:26", t), "short time");
	T_OK(!manscdp_time("2025-13-22T11:26:02", t), "month 13");
	T_OK(!manscdp_time("2025-04-22T11:26:02Z", t), "zone");
	T_OK(!manscdp_time(NULL, t), "no time");
	T_OK(manscdp_coord_ok("121.448204", 180), "longitude");
	T_OK(manscdp_coord_ok("-33.5", 90), "negative");
	T_OK(!manscdp_coord_ok("91", 90), "latitude 91");
	T_OK(!manscdp_coord_ok("", 90), "empty");
	T_OK(!manscdp_coord_ok("1e5", 1e9), "exponent");
	T_OK(!manscdp_coord_ok("nan", 90), "nan");
	T_OK(!manscdp_coord_ok("1.2.3", 90), "two dots");
}

int
main(void)
{
	manscdp_set_ops(&t_ops);
	test_captured();
	test_syntax();
	test_dispatch();
	test_catalog();
	test_queries();
	test_helpers();
	return T_DONE();
}
