/* Crypto: AES-256-GCM sealing, the master key file, UUIDs, HMAC vectors. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/crypto.h"
#include "common/log.h"
#include "common/vault.h"
#include "t.h"

static const uint8_t key[CRYPTO_KEY_LEN] = "0123456789abcdef0123456789abcdef";
static const char aad[] = "LTAI-key-id";
static const char msg[] = "the AccessKeySecret 视频";

#define MSGLEN		(sizeof(msg) - 1)
#define SEALEN		(MSGLEN + CRYPTO_SEAL_OVERHEAD)

static int
open_sealed(const uint8_t *in, size_t inlen, const char *a, uint8_t *out,
    size_t *outlen)
{
	return crypto_open(key, a, strlen(a), in, inlen, out, outlen);
}

static void
test_seal(void)
{
	uint8_t sealed[SEALEN], again[SEALEN], out[SEALEN];
	size_t outlen = 0;

	T_OK(crypto_seal(key, aad, strlen(aad), msg, MSGLEN, sealed) == 0,
	    "seal");
	T_OK(open_sealed(sealed, SEALEN, aad, out, &outlen) == 0, "open");
	T_OK(outlen == MSGLEN && memcmp(out, msg, MSGLEN) == 0, "round trip");
	T_OK(memmem(sealed, SEALEN, "AccessKeySecret", 15) == NULL,
	    "plaintext not visible");
	T_OK(open_sealed(sealed, SEALEN, "LTAI-key-ie", out, &outlen) ==
	    EBADMSG, "wrong AAD");
	T_OK(open_sealed(sealed, SEALEN, "", out, &outlen) == EBADMSG,
	    "empty AAD");
	/* a random IV: the same plaintext never seals the same twice */
	T_OK(crypto_seal(key, aad, strlen(aad), msg, MSGLEN, again) == 0,
	    "seal again");
	T_OK(memcmp(sealed, again, 12) != 0, "IVs differ");
	T_OK(memcmp(sealed, again, SEALEN) != 0, "sealed values differ");
	T_OK(open_sealed(again, SEALEN, aad, out, &outlen) == 0, "open again");
	/* an empty plaintext still carries a tag */
	T_OK(crypto_seal(key, aad, strlen(aad), "", 0, again) == 0,
	    "seal empty");
	T_OK(open_sealed(again, CRYPTO_SEAL_OVERHEAD, aad, out, &outlen) ==
	    0 && outlen == 0, "open empty");
}

static void
test_tamper(void)
{
	static const uint8_t masks[] = { 0x01, 0x80, 0xff };
	uint8_t sealed[SEALEN], out[SEALEN];
	size_t outlen, opened = 0;
	uint8_t otherkey[CRYPTO_KEY_LEN];

	T_OK(crypto_seal(key, aad, strlen(aad), msg, MSGLEN, sealed) == 0,
	    "seal");
	/* every byte: IV, ciphertext and tag, one bit and all bits */
	for (size_t i = 0; i < SEALEN; i++)
		for (size_t m = 0; m < sizeof(masks); m++) {
			sealed[i] ^= masks[m];
			if (open_sealed(sealed, SEALEN, aad, out, &outlen) !=
			    EBADMSG && opened++ == 0)
				printf("# byte %zu ^ %#x opened\n", i, masks[m]);
			sealed[i] ^= masks[m];
		}
	T_OK(opened == 0, "%zu altered values opened", opened);
	T_OK(open_sealed(sealed, SEALEN, aad, out, &outlen) == 0,
	    "restored value opens");
	/* cut or extended */
	for (size_t n = 0; n < SEALEN; n++)
		if (open_sealed(sealed, n, aad, out, &outlen) != EBADMSG &&
		    opened++ == 0)
			printf("# %zu of %zu bytes opened\n", n, SEALEN);
	T_OK(opened == 0, "%zu truncated values opened", opened);
	T_OK(open_sealed(sealed, 0, aad, out, &outlen) == EBADMSG, "empty");
	T_OK(open_sealed(sealed, CRYPTO_SEAL_OVERHEAD - 1, aad, out,
	    &outlen) == EBADMSG, "shorter than IV + tag");
	memcpy(otherkey, key, sizeof(otherkey));
	otherkey[31] ^= 1;
	T_OK(crypto_open(otherkey, aad, strlen(aad), sealed, SEALEN, out,
	    &outlen) == EBADMSG, "wrong key");
}

static int
write_file(const char *path, const char *s, mode_t mode)
{
	int fd, ok;

	unlink(path);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode)) == -1)
		return -1;
	ok = write(fd, s, strlen(s)) == (ssize_t)strlen(s);
	if (fchmod(fd, mode) != 0)	/* past the umask */
		ok = 0;
	return close(fd) == 0 && ok ? 0 : -1;
}

static void
test_master_key(const char *dir)
{
	static const char *const malformed[] = {
		"",
		"0123",
		"zz00000000000000000000000000000000000000000000000000000000000000",
		"000000000000000000000000000000000000000000000000000000000000000",
		"00000000000000000000000000000000000000000000000000000000000000\n",
		"000000000000000000000000000000000000000000000000000000000000000\n",
		" 0000000000000000000000000000000000000000000000000000000000000000",
		"-1000000000000000000000000000000000000000000000000000000000000000",
		"0x000000000000000000000000000000000000000000000000000000000000000",
		"0000000000000000000000000000000000000000000000000000000000000 00",
	};
	char path[512], other[512];
	uint8_t k1[CRYPTO_KEY_LEN], k2[CRYPTO_KEY_LEN];
	struct stat st;

	snprintf(path, sizeof(path), "%s/master.key", dir);
	snprintf(other, sizeof(other), "%s/other.key", dir);
	T_OK(crypto_master_key_load(path, 0, k1) == ENOENT, "absent, no create");
	T_OK(crypto_master_key_load(path, 1, k1) == 0, "created");
	T_OK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600,
	    "mode %o", (unsigned)st.st_mode & 0777);
	T_OK(st.st_size == 65, "64 hex digits and a newline: %lld bytes",
	    (long long)st.st_size);
	T_OK(crypto_master_key_load(path, 1, k2) == 0 &&
	    memcmp(k1, k2, sizeof(k1)) == 0, "loaded again, same key");
	chmod(path, 0644);
	T_OK(crypto_master_key_load(path, 0, k2) == EPERM, "0644 refused");
	chmod(path, 0640);
	T_OK(crypto_master_key_load(path, 0, k2) == EPERM, "0640 refused");
	chmod(path, 0400);
	T_OK(crypto_master_key_load(path, 0, k2) == 0, "0400 accepted");
	chmod(path, 0600);
	/* a known key in upper or lower case */
	T_OK(write_file(other, "000102030405060708090a0b0c0d0e0f"
	    "101112131415161718191A1B1C1D1E1F\n", 0600) == 0, "write");
	T_OK(crypto_master_key_load(other, 0, k2) == 0 && k2[0] == 0 &&
	    k2[10] == 10 && k2[31] == 0x1f, "known key decoded");
	for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
		T_OK(write_file(other, malformed[i], 0600) == 0, "write");
		T_OK(crypto_master_key_load(other, 1, k2) == EINVAL,
		    "malformed key file %zu \"%s\" accepted", i, malformed[i]);
	}
	unlink(other);
}

static void
test_vault(const char *dir)
{
	char path[512], *s = NULL;
	uint8_t *sealed = NULL;
	size_t len = 0;

	T_OK(vault_seal("id", "x", &sealed, &len) == EINVAL && sealed == NULL,
	    "no key yet");
	snprintf(path, sizeof(path), "%s/vault.key", dir);
	T_OK(vault_init(path, 0) == ENOENT, "no key file");
	T_OK(vault_init(path, 1) == 0, "vault_init creates");
	T_OK(vault_seal("key-1", "s3cret 视频", &sealed, &len) == 0, "seal");
	T_OK(len == strlen("s3cret 视频") + CRYPTO_SEAL_OVERHEAD, "len %zu",
	    len);
	T_OK(vault_open("key-1", sealed, len, &s) == 0, "open");
	T_STREQ(s, "s3cret 视频");
	free(s);
	s = NULL;
	/* bound to its owner: another key's row cannot borrow it */
	T_OK(vault_open("key-2", sealed, len, &s) == EBADMSG && s == NULL,
	    "other owner");
	sealed[len / 2] ^= 1;
	T_OK(vault_open("key-1", sealed, len, &s) == EBADMSG, "tampered");
	T_OK(vault_open("key-1", sealed, 3, &s) == EBADMSG, "short");
	free(sealed);
	T_OK(vault_seal("key-1", "", &sealed, &len) == 0 &&
	    vault_open("key-1", sealed, len, &s) == 0, "empty secret");
	T_STREQ(s, "");
	free(s);
	free(sealed);
	unlink(path);
}

static void
test_uuid(void)
{
	char u[37], v[37];
	int bad = 0;

	for (int n = 0; n < 200; n++) {
		T_OK(crypto_uuid(u) == 0, "uuid");
		for (int i = 0; i < 36; i++) {
			int dash = i == 8 || i == 13 || i == 18 || i == 23;

			if (dash ? u[i] != '-' : !((u[i] >= '0' && u[i] <= '9') ||
			    (u[i] >= 'A' && u[i] <= 'F')))
				bad++;
		}
		if (strlen(u) != 36 || u[14] != '4' ||
		    strchr("89AB", u[19]) == NULL)
			bad++;
		if (bad)
			break;
	}
	T_OK(bad == 0, "malformed UUID %s", u);
	T_OK(crypto_uuid(v) == 0 && strcmp(u, v) != 0, "two UUIDs differ");
}

static void
test_hmac(void)
{
	char hex[65], b64[29];
	char big[200];

	/* RFC 4231 test case 2 */
	crypto_hmac_sha256_hex(hex, "Jefe", 4, "what do ya want for nothing?",
	    28);
	T_STREQ(hex, "5bdcc146bf60754e6a042426089575c7"
	    "5a003f089d2739839dec58b964ec3843");
	/* RFC 4231 test case 6: a key longer than the block */
	memset(big, 0xaa, 131);
	crypto_hmac_sha256_hex(hex, big, 131,
	    "Test Using Larger Than Block-Size Key - Hash Key First", 54);
	T_STREQ(hex, "60e431591ee0b67f0d8a26aacbf5b77f"
	    "8e0bc6213728c5140546040f0ee37f54");
	/* RFC 2202 test case 2, in base64 */
	crypto_hmac_sha1_b64(b64, "Jefe", 4, "what do ya want for nothing?",
	    28);
	T_STREQ(b64, "7/zfauXrL6LSdBbV8YTfnCWafHk=");
	crypto_hex(hex, "\x00\x9f\xff", 3, 1);
	T_STREQ(hex, "009FFF");
	crypto_hex(hex, "\x00\x9f\xff", 3, 0);
	T_STREQ(hex, "009fff");
	T_OK(crypto_random_hex(hex, 32, 0) == 0 && strlen(hex) == 64,
	    "random hex");
	T_OK(crypto_random_hex(hex, 65, 0) == EIO, "too long for random hex");
}

static void
test_streq(void)
{
	T_OK(crypto_streq("", ""), "empty");
	T_OK(crypto_streq("abc", "abc"), "equal");
	T_OK(!crypto_streq("abc", "abd"), "last differs");
	T_OK(!crypto_streq("abc", "Abc"), "first differs");
	T_OK(!crypto_streq("abc", "ab"), "prefix");
	T_OK(!crypto_streq("ab", "abc"), "longer");
	T_OK(!crypto_streq("", "a"), "empty vs one");
}

int
main(void)
{
	char dir[] = "/tmp/vigil-test-crypto.XXXXXX";

	log_verbosity = LOG_LVL_ERR;	/* expected refusals are logged */
	test_seal();
	test_tamper();
	if (mkdtemp(dir) == NULL) {
		T_OK(0, "mkdtemp");
		return T_DONE();
	}
	test_master_key(dir);
	test_vault(dir);
	rmdir(dir);
	test_uuid();
	test_hmac();
	test_streq();
	return T_DONE();
}
