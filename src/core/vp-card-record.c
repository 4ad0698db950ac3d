/* vp-card-record.c: encoding, parsing and checking of the IC-card record.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/core_names.h>
#include <openssl/params.h>

#include "vp-card-record.h"
#include "vp-account-number.h"
#include "vp-money.h"
#include "vp-tariff.h"

G_DEFINE_QUARK (vp-card-record-error-quark, vp_card_record_error)

#define OFF_MAGIC     0
#define OFF_VERSION   4
#define OFF_NHIST     5
#define OFF_FLAGS     6     /* LOADED, REVERSAL (top-up reversal) */
#define OFF_KEYVER    7     /* the utility card key version, 0 = a van's legacy key */
#define OFF_CARD      8
#define OFF_ACCOUNT   28
#define OFF_COUNTER   52
#define OFF_TARIFF    56
#define OFF_LAST_VOL  60
#define OFF_LAST_AMT  68
#define OFF_TOTAL_VOL 76
#define OFF_TIME      84
#define OFF_HISTORY   92
#define HIST_ENTRY    28
#define OFF_MAC       232

G_STATIC_ASSERT (OFF_HISTORY + VP_CARD_HISTORY * HIST_ENTRY == OFF_MAC);
G_STATIC_ASSERT (OFF_MAC + VP_CARD_MAC_SIZE == VP_CARD_RECORD_SIZE);

static const guint8 magic[4] = { 'V', 'P', 'I', 'C' };

/* Plausible write times: 2000-01-01 .. 2200-01-01. */
#define TIME_MIN G_GINT64_CONSTANT (946684800000000)
#define TIME_MAX G_GINT64_CONSTANT (7258118400000000)
/* A card never holds more than a million m³ in total. */
#define TOTAL_VOLUME_MAX ((VpVolume) 1000000 * VP_LITRES_PER_M3)

static void
put_u32 (guint8 *p, guint32 v)
{
  p[0] = v >> 24;
  p[1] = v >> 16;
  p[2] = v >> 8;
  p[3] = v;
}

static void
put_u64 (guint8 *p, guint64 v)
{
  put_u32 (p, v >> 32);
  put_u32 (p + 4, v & 0xffffffffu);
}

static guint32
get_u32 (const guint8 *p)
{
  return ((guint32)p[0] << 24) | ((guint32)p[1] << 16) | ((guint32)p[2] << 8) | p[3];
}

static guint64
get_u64 (const guint8 *p)
{
  return ((guint64)get_u32 (p) << 32) | get_u32 (p + 4);
}

gboolean
vp_card_key_from_hex (const char  *hex,
                      guint8       key[VP_CARD_KEY_SIZE],
                      GError     **error)
{
  if (hex == NULL || strlen (hex) != VP_CARD_KEY_SIZE * 2)
    {
      g_set_error (error, VP_CARD_RECORD_ERROR, VP_CARD_RECORD_ERROR_KEY,
                   _("The card key must be %d hex digits (%d bytes)"),
                   VP_CARD_KEY_SIZE * 2, VP_CARD_KEY_SIZE);
      return FALSE;
    }
  for (guint i = 0; i < VP_CARD_KEY_SIZE; i++)
    {
      int hi = g_ascii_xdigit_value (hex[2 * i]);
      int lo = g_ascii_xdigit_value (hex[2 * i + 1]);

      if (hi < 0 || lo < 0)
        {
          g_set_error (error, VP_CARD_RECORD_ERROR, VP_CARD_RECORD_ERROR_KEY,
                       _("The card key must be hex digits only; “%c%c” is not"), hex[2 * i],
                       hex[2 * i + 1]);
          return FALSE;
        }
      key[i] = (hi << 4) | lo;
    }
  return TRUE;
}

char *
vp_card_key_to_hex (const guint8 key[VP_CARD_KEY_SIZE])
{
  GString *s = g_string_sized_new (VP_CARD_KEY_SIZE * 2);

  for (guint i = 0; i < VP_CARD_KEY_SIZE; i++)
    g_string_append_printf (s, "%02x", key[i]);
  return g_string_free (s, FALSE);
}

void
vp_card_key_derive (const guint8  master[VP_CARD_KEY_SIZE],
                    guint16       version,
                    const char   *card_number,
                    guint8        out[VP_CARD_KEY_SIZE])
{
  static const char salt[] = "VanPOS card key";
  g_autoptr(GByteArray) info = g_byte_array_new ();
  guint8 tail[3] = { 0, version >> 8, version & 0xff };
  EVP_KDF *kdf;
  EVP_KDF_CTX *ctx;
  OSSL_PARAM params[5], *p = params;
  int ok;

  g_byte_array_append (info, (const guint8 *)card_number, strlen (card_number));
  g_byte_array_append (info, tail, sizeof tail);
  *p++ = OSSL_PARAM_construct_utf8_string (OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
  *p++ = OSSL_PARAM_construct_octet_string (OSSL_KDF_PARAM_KEY, (void *)master, VP_CARD_KEY_SIZE);
  *p++ = OSSL_PARAM_construct_octet_string (OSSL_KDF_PARAM_SALT, (void *)salt, sizeof salt - 1);
  *p++ = OSSL_PARAM_construct_octet_string (OSSL_KDF_PARAM_INFO, info->data, info->len);
  *p = OSSL_PARAM_construct_end ();
  kdf = EVP_KDF_fetch (NULL, "HKDF", NULL);
  ctx = kdf ? EVP_KDF_CTX_new (kdf) : NULL;
  ok = ctx != NULL && EVP_KDF_derive (ctx, out, VP_CARD_KEY_SIZE, params) == 1;
  EVP_KDF_CTX_free (ctx);
  EVP_KDF_free (kdf);
  /* HKDF is in every OpenSSL 3 default provider: failing is a broken install. */
  if (!ok)
    g_error ("HKDF-SHA256 failed");
}

void
vp_card_keyring_init (VpCardKeyring *ring)
{
  memset (ring, 0, sizeof *ring);
}

void
vp_card_keyring_clear (VpCardKeyring *ring)
{
  OPENSSL_cleanse (ring, sizeof *ring);
}

void
vp_card_keyring_set_legacy (VpCardKeyring *ring,
                            const guint8   key[VP_CARD_KEY_SIZE])
{
  memcpy (ring->legacy, key, VP_CARD_KEY_SIZE);
  ring->has_legacy = TRUE;
}

gboolean
vp_card_keyring_add_master (VpCardKeyring *ring,
                            guint          version,
                            const guint8   key[VP_CARD_KEY_SIZE],
                            GError       **error)
{
  guint i;

  /* One byte on the card (byte 6 holds the flags). */
  if (version < 1 || version > G_MAXUINT8)
    {
      g_set_error (error, VP_CARD_RECORD_ERROR, VP_CARD_RECORD_ERROR_KEY,
                   _("A card master key version is 1 to %u, not %u"), G_MAXUINT8, version);
      return FALSE;
    }
  for (i = 0; i < ring->n_masters; i++)
    if (ring->masters[i].version == version)
      break;
  if (i == ring->n_masters)
    {
      if (ring->n_masters == VP_CARD_KEYRING_MAX)
        {
          g_set_error (error, VP_CARD_RECORD_ERROR, VP_CARD_RECORD_ERROR_KEY,
                       _("At most %d card master keys"), VP_CARD_KEYRING_MAX);
          return FALSE;
        }
      ring->n_masters++;
    }
  ring->masters[i].version = version;
  memcpy (ring->masters[i].key, key, VP_CARD_KEY_SIZE);
  ring->write_version = MAX (ring->write_version, version);
  return TRUE;
}

gboolean
vp_card_keyring_add_masters_text (VpCardKeyring *ring,
                                  const char    *text,
                                  GError       **error)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  guint n = 0;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      char *line = g_strstrip (lines[i]);
      guint8 key[VP_CARD_KEY_SIZE];
      guint64 version = 0;
      char *end = NULL;
      gboolean ok;

      if (*line == '\0')
        continue;
      version = g_ascii_strtoull (line, &end, 10);
      if (end == line || (*end != ' ' && *end != '\t'))
        {
          g_set_error (error, VP_CARD_RECORD_ERROR, VP_CARD_RECORD_ERROR_KEY,
                       _("Card key line %u is not “VERSION HEX”"), i + 1);
          return FALSE;
        }
      ok = vp_card_key_from_hex (g_strstrip (end), key, error) &&
           vp_card_keyring_add_master (ring, version > G_MAXUINT ? 0 : (guint)version, key, error);
      OPENSSL_cleanse (key, sizeof key);
      if (!ok)
        return FALSE;
      n++;
    }
  if (n == 0)
    {
      g_set_error (error, VP_CARD_RECORD_ERROR, VP_CARD_RECORD_ERROR_KEY,
                   _("No card master key in the list"));
      return FALSE;
    }
  return TRUE;
}

char *
vp_card_keyring_masters_to_text (const VpCardKeyring *ring)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < ring->n_masters; i++)
    {
      g_autofree char *hex = vp_card_key_to_hex (ring->masters[i].key);
      g_string_append_printf (s, "%u %s\n", ring->masters[i].version, hex);
      OPENSSL_cleanse (hex, strlen (hex));
    }
  return g_string_free (s, FALSE);
}

gboolean
vp_card_keyring_card_key (const VpCardKeyring *ring,
                          guint16              version,
                          const char          *card_number,
                          guint8               out[VP_CARD_KEY_SIZE],
                          GError             **error)
{
  if (version == 0)
    {
      if (!ring->has_legacy)
        {
          g_set_error (error, VP_CARD_RECORD_ERROR, VP_CARD_RECORD_ERROR_MAC,
                       _("Card %s was written under another van's own key (key version 0) "
                         "before utility card keys: only that van can read it until its next "
                         "top-up there"), card_number);
          return FALSE;
        }
      memcpy (out, ring->legacy, VP_CARD_KEY_SIZE);
      return TRUE;
    }
  for (guint i = 0; i < ring->n_masters; i++)
    if (ring->masters[i].version == version)
      {
        vp_card_key_derive (ring->masters[i].key, version, card_number, out);
        return TRUE;
      }
  g_set_error (error, VP_CARD_RECORD_ERROR, VP_CARD_RECORD_ERROR_MAC,
               _("Card %s was written under utility card key version %u, which this van does "
                 "not hold; provision it again from HQ"), card_number, version);
  return FALSE;
}

static void
compute_mac (const guint8 *data,
             const guint8  key[VP_CARD_KEY_SIZE],
             guint8        mac[VP_CARD_MAC_SIZE])
{
  guint8 full[EVP_MAX_MD_SIZE];
  unsigned int full_len = 0;

  /* HMAC() with SHA-256 cannot fail for these sizes. */
  if (HMAC (EVP_sha256 (), key, VP_CARD_KEY_SIZE, data, OFF_MAC, full, &full_len) == NULL)
    g_error ("HMAC-SHA256 failed");
  memcpy (mac, full, VP_CARD_MAC_SIZE);
  OPENSSL_cleanse (full, sizeof full);
}

static gboolean
field_error (GError    **error,
             const char *format,
             ...) G_GNUC_PRINTF (2, 3);

static gboolean
field_error (GError    **error,
             const char *format,
             ...)
{
  g_autofree char *msg = NULL;
  va_list args;

  va_start (args, format);
  msg = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, VP_CARD_RECORD_ERROR, VP_CARD_RECORD_ERROR_FIELD,
               _("Malformed card record: %s"), msg);
  return FALSE;
}

/* Card numbers are 8..20 digits. */
static gboolean
check_card_number (const char *s,
                   GError    **error)
{
  gsize len = strlen (s);

  if (len < 8 || len > VP_CARD_NUMBER_MAX)
    return field_error (error, _("the card number must be 8 to %d digits, not %d"),
                        VP_CARD_NUMBER_MAX, (int)len);
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isdigit (s[i]))
      return field_error (error, _("the card number has a non-digit at position %d"),
                          (int)i + 1);
  return TRUE;
}

static gboolean
check_purchase (const VpCardPurchase *p,
                guint                 i,
                GError              **error)
{
  if (p->counter == 0)
    return field_error (error, _("purchase %u has counter 0"), i + 1);
  if (p->volume <= 0 || p->volume > VP_TARIFF_MAX_VOLUME)
    return field_error (error, _("purchase %u has volume %lld L, not 1..%lld"),
                        i + 1, (long long)p->volume, (long long)VP_TARIFF_MAX_VOLUME);
  if (p->amount < 0 || p->amount > VP_MONEY_MAX_TRANSACTION)
    return field_error (error, _("purchase %u has amount %lld fen, out of range"),
                        i + 1, (long long)p->amount);
  if (p->time < TIME_MIN || p->time > TIME_MAX)
    return field_error (error, _("purchase %u has an impossible time"), i + 1);
  return TRUE;
}

/* Every invariant of a record, shared by encode and parse. */
static gboolean
check_record (const VpCardRecord *r,
              GError            **error)
{
  GError *local = NULL;
  VpVolume sum = 0;

  if (!check_card_number (r->card_number, error))
    return FALSE;
  if (strlen (r->account_number) == 0)
    return field_error (error, _("no account number"));
  if (!vp_account_number_validate_any (r->account_number, &local))
    {
      field_error (error, _("account number: %s"), local->message);
      g_error_free (local);
      return FALSE;
    }
  if (r->time < TIME_MIN || r->time > TIME_MAX)
    return field_error (error, _("the write time is impossible"));
  if (r->n_history > VP_CARD_HISTORY)
    return field_error (error, _("%u history entries, at most %d"), r->n_history, VP_CARD_HISTORY);
  if (r->total_volume < 0 || r->total_volume > TOTAL_VOLUME_MAX)
    return field_error (error, _("the total volume is out of range"));
  if ((r->flags & ~VP_CARD_FLAGS_KNOWN) != 0)
    return field_error (error, _("unknown flags 0x%02x"), r->flags);
  if ((r->flags & VP_CARD_FLAG_LOADED) != 0 &&
      ((r->flags & VP_CARD_FLAG_REVERSAL) != 0 || r->last_volume == 0))
    return field_error (error, _("a record marked loaded has no purchase to load"));
  if ((r->flags & VP_CARD_FLAG_REVERSAL) != 0 && r->counter == 0)
    return field_error (error, _("a reversal record has counter 0"));
  if (r->counter == 0)
    {
      if (r->n_history != 0 || r->last_volume != 0 || r->last_amount != 0 ||
          r->total_volume != 0 || r->tariff_version != 0)
        return field_error (error, _("a card with no purchases carries purchase data"));
    }
  else
    {
      /* A reissued card carries the counter but none of the purchases. */
      if (r->n_history == 0)
        {
          if (r->last_volume != 0 || r->last_amount != 0)
            return field_error (error, _("the last purchase is not in the history"));
        }
      else if ((r->flags & VP_CARD_FLAG_REVERSAL) != 0)
        {
          /* A reversal record: the purchases left are all behind its
           * counter and nothing is left to load. */
          if (r->last_volume != 0 || r->last_amount != 0)
            return field_error (error, _("a reversal record carries a purchase to load"));
          if (r->tariff_version == 0)
            return field_error (error, _("no tariff version"));
          if (r->history[0].counter >= r->counter)
            return field_error (error, _("a reversal record lists a purchase at its own counter"));
        }
      else
        {
          if (r->n_history > r->counter)
            return field_error (error, _("%u history entries for %u purchases"), r->n_history,
                                r->counter);
          if (r->tariff_version == 0)
            return field_error (error, _("no tariff version"));
          if (r->history[0].counter != r->counter || r->history[0].volume != r->last_volume ||
              r->history[0].amount != r->last_amount)
            return field_error (error, _("the last purchase does not match history entry 1"));
        }
    }
  /* Purchases are ordered by their counter alone. Their times are the
   * writing van's wall clock, which may have been ahead or set back: a
   * later purchase with an earlier time is a clock fault, not a forgery
   * (the MAC and the counters are what prove a record). */
  for (guint i = 0; i < r->n_history; i++)
    {
      if (!check_purchase (&r->history[i], i, error))
        return FALSE;
      if (i > 0 && r->history[i].counter >= r->history[i - 1].counter)
        return field_error (error, _("history counters are not decreasing at entry %u"), i + 1);
      sum += r->history[i].volume;
    }
  if (r->total_volume < sum)
    return field_error (error, _("the total volume is less than the listed purchases"));
  return TRUE;
}

gboolean
vp_card_record_encode (const VpCardRecord *r,
                       const guint8        key[VP_CARD_KEY_SIZE],
                       guint8              out[VP_CARD_RECORD_SIZE],
                       GError            **error)
{
  g_auto(VpCardKeyring) ring = { 0 };

  g_return_val_if_fail (r != NULL && key != NULL && out != NULL, FALSE);
  vp_card_keyring_init (&ring);
  vp_card_keyring_set_legacy (&ring, key);
  return vp_card_record_encode_ring (r, &ring, out, error);
}

gboolean
vp_card_record_encode_ring (const VpCardRecord  *r,
                            const VpCardKeyring *ring,
                            guint8               out[VP_CARD_RECORD_SIZE],
                            GError             **error)
{
  guint8 key[VP_CARD_KEY_SIZE];

  g_return_val_if_fail (r != NULL && ring != NULL && out != NULL, FALSE);

  if (!check_record (r, error))
    return FALSE;
  if (!vp_card_keyring_card_key (ring, ring->write_version, r->card_number, key, error))
    {
      g_prefix_error (error, "%s", _("Cannot write the card: "));
      return FALSE;
    }
  memset (out, 0, VP_CARD_RECORD_SIZE);
  memcpy (out + OFF_MAGIC, magic, 4);
  out[OFF_VERSION] = VP_CARD_RECORD_VERSION;
  out[OFF_NHIST] = r->n_history;
  out[OFF_FLAGS] = r->flags;
  out[OFF_KEYVER] = (guint8) ring->write_version;
  memcpy (out + OFF_CARD, r->card_number, strlen (r->card_number));
  memcpy (out + OFF_ACCOUNT, r->account_number, strlen (r->account_number));
  put_u32 (out + OFF_COUNTER, r->counter);
  put_u32 (out + OFF_TARIFF, r->tariff_version);
  put_u64 (out + OFF_LAST_VOL, r->last_volume);
  put_u64 (out + OFF_LAST_AMT, r->last_amount);
  put_u64 (out + OFF_TOTAL_VOL, r->total_volume);
  put_u64 (out + OFF_TIME, r->time);
  for (guint i = 0; i < r->n_history; i++)
    {
      guint8 *h = out + OFF_HISTORY + i * HIST_ENTRY;

      put_u32 (h, r->history[i].counter);
      put_u64 (h + 4, r->history[i].volume);
      put_u64 (h + 12, r->history[i].amount);
      put_u64 (h + 20, r->history[i].time);
    }
  compute_mac (out, key, out + OFF_MAC);
  OPENSSL_cleanse (key, sizeof key);
  return TRUE;
}

static gboolean
is_filled (const guint8 *data,
           gsize         len,
           guint8        value)
{
  for (gsize i = 0; i < len; i++)
    if (data[i] != value)
      return FALSE;
  return TRUE;
}

/* Copies a NUL padded text field: the text, then only NULs. */
static gboolean
get_text (const guint8 *p,
          gsize         size,
          char         *out,
          const char   *what,
          GError      **error)
{
  gsize len = 0;

  while (len < size && p[len] != 0)
    {
      if (p[len] < 0x20 || p[len] > 0x7e)
        return field_error (error, _("the %s has a non-printable byte 0x%02x"), what, p[len]);
      len++;
    }
  if (!is_filled (p + len, size - len, 0))
    return field_error (error, _("the %s has bytes after its end"), what);
  memcpy (out, p, len);
  out[len] = '\0';
  return TRUE;
}

static gboolean
get_i64 (const guint8 *p,
         gint64       *out,
         const char   *what,
         GError      **error)
{
  guint64 v = get_u64 (p);

  if (v > (guint64)G_MAXINT64)
    return field_error (error, _("the %s is out of range"), what);
  *out = (gint64)v;
  return TRUE;
}

gboolean
vp_card_record_parse (const guint8  *data,
                      gsize          len,
                      const guint8   key[VP_CARD_KEY_SIZE],
                      VpCardRecord  *out,
                      GError       **error)
{
  g_auto(VpCardKeyring) ring = { 0 };

  g_return_val_if_fail (key != NULL && out != NULL, FALSE);
  vp_card_keyring_init (&ring);
  vp_card_keyring_set_legacy (&ring, key);
  return vp_card_record_parse_ring (data, len, &ring, out, error);
}

gboolean
vp_card_record_parse_ring (const guint8        *data,
                           gsize                len,
                           const VpCardKeyring *ring,
                           VpCardRecord        *out,
                           GError             **error)
{
  guint8 mac[VP_CARD_MAC_SIZE];
  guint8 key[VP_CARD_KEY_SIZE];
  char card[VP_CARD_NUMBER_MAX + 1];
  guint16 key_version;
  VpCardRecord r;

  g_return_val_if_fail (ring != NULL && out != NULL, FALSE);

  if (data == NULL || len != VP_CARD_RECORD_SIZE)
    {
      g_set_error (error, VP_CARD_RECORD_ERROR, VP_CARD_RECORD_ERROR_LENGTH,
                   _("A card record is %d bytes, not %lu"), VP_CARD_RECORD_SIZE,
                   (unsigned long)(data ? len : 0));
      return FALSE;
    }
  if (is_filled (data, len, 0x00) || is_filled (data, len, 0xff))
    {
      g_set_error (error, VP_CARD_RECORD_ERROR, VP_CARD_RECORD_ERROR_BLANK,
                   _("The card record is blank (never written)"));
      return FALSE;
    }
  if (memcmp (data + OFF_MAGIC, magic, 4) != 0)
    {
      g_set_error (error, VP_CARD_RECORD_ERROR, VP_CARD_RECORD_ERROR_MAGIC,
                   _("Unreadable card: no VanPOS record (garbage or an interrupted write)"));
      return FALSE;
    }
  if (data[OFF_VERSION] != VP_CARD_RECORD_VERSION)
    {
      g_set_error (error, VP_CARD_RECORD_ERROR, VP_CARD_RECORD_ERROR_VERSION,
                   _("Card record version %u is not supported (this van reads version %d)"),
                   data[OFF_VERSION], VP_CARD_RECORD_VERSION);
      return FALSE;
    }
  /* The key depends on the card number and key version, which the MAC
   * then proves: a record claiming another card gets another key. */
  key_version = data[OFF_KEYVER];
  memcpy (card, data + OFF_CARD, VP_CARD_NUMBER_MAX);
  card[VP_CARD_NUMBER_MAX] = '\0';
  for (char *c = card; *c; c++)
    if (!g_ascii_isprint (*c))
      *c = '?';
  if (!vp_card_keyring_card_key (ring, key_version, card, key, error))
    return FALSE;
  compute_mac (data, key, mac);
  OPENSSL_cleanse (key, sizeof key);
  if (CRYPTO_memcmp (mac, data + OFF_MAC, VP_CARD_MAC_SIZE) != 0)
    {
      g_set_error (error, VP_CARD_RECORD_ERROR, VP_CARD_RECORD_ERROR_MAC,
                   _("Forged or altered card: the record's MAC does not verify under the utility key"));
      return FALSE;
    }

  memset (&r, 0, sizeof r);
  r.flags = data[OFF_FLAGS];
  r.key_version = key_version;
  r.n_history = data[OFF_NHIST];
  if (r.n_history > VP_CARD_HISTORY)
    return field_error (error, _("%u history entries, at most %d"), r.n_history, VP_CARD_HISTORY);
  if (!get_text (data + OFF_CARD, VP_CARD_NUMBER_MAX, r.card_number, _("card number"), error) ||
      !get_text (data + OFF_ACCOUNT, VP_CARD_ACCOUNT_MAX, r.account_number, _("account number"), error))
    return FALSE;
  r.counter = get_u32 (data + OFF_COUNTER);
  r.tariff_version = get_u32 (data + OFF_TARIFF);
  if (!get_i64 (data + OFF_LAST_VOL, &r.last_volume, _("last volume"), error) ||
      !get_i64 (data + OFF_LAST_AMT, &r.last_amount, _("last amount"), error) ||
      !get_i64 (data + OFF_TOTAL_VOL, &r.total_volume, _("total volume"), error) ||
      !get_i64 (data + OFF_TIME, &r.time, _("write time"), error))
    return FALSE;
  for (guint i = 0; i < VP_CARD_HISTORY; i++)
    {
      const guint8 *h = data + OFF_HISTORY + i * HIST_ENTRY;

      if (i >= r.n_history)
        {
          if (!is_filled (h, HIST_ENTRY, 0))
            return field_error (error, _("unused history entry %u is not empty"), i + 1);
          continue;
        }
      r.history[i].counter = get_u32 (h);
      if (!get_i64 (h + 4, &r.history[i].volume, _("history volume"), error) ||
          !get_i64 (h + 12, &r.history[i].amount, _("history amount"), error) ||
          !get_i64 (h + 20, &r.history[i].time, _("history time"), error))
        return FALSE;
    }
  if (!check_record (&r, error))
    return FALSE;
  *out = r;
  return TRUE;
}

gboolean
vp_card_record_verify_for_account (const VpCardRecord *record,
                                   const char         *account_number,
                                   const char         *card_number,
                                   gint64              store_counter,
                                   GError            **error)
{
  g_return_val_if_fail (record != NULL && account_number != NULL && card_number != NULL, FALSE);

  if (!g_str_equal (record->card_number, card_number))
    {
      g_set_error (error, VP_CARD_RECORD_ERROR, VP_CARD_RECORD_ERROR_WRONG_CARD,
                   _("Wrong card: this is card %s, account %s holds card %s"),
                   record->card_number, account_number, card_number);
      return FALSE;
    }
  if (!g_str_equal (record->account_number, account_number))
    {
      g_set_error (error, VP_CARD_RECORD_ERROR, VP_CARD_RECORD_ERROR_FORGED,
                   _("Forged or altered card: card %s says account %s, but it belongs to account %s"),
                   card_number, record->account_number, account_number);
      return FALSE;
    }
  if ((gint64)record->counter < store_counter)
    {
      g_set_error (error, VP_CARD_RECORD_ERROR, VP_CARD_RECORD_ERROR_FORGED,
                   _("Forged or altered card: card %s shows purchase %u, but purchase %lld "
                   "was already written to it (counter rolled back)"),
                   card_number, record->counter, (long long)store_counter);
      return FALSE;
    }
  return TRUE;
}

void
vp_card_record_add_purchase (VpCardRecord *r,
                             guint32       counter,
                             VpVolume      volume,
                             VpMoney       amount,
                             guint32       tariff_version,
                             gint64        time)
{
  guint n = MIN (r->n_history + 1, VP_CARD_HISTORY);

  memmove (&r->history[1], &r->history[0], (n - 1) * sizeof r->history[0]);
  r->history[0].counter = counter;
  r->history[0].volume = volume;
  r->history[0].amount = amount;
  r->history[0].time = time;
  r->n_history = n;
  r->counter = counter;
  r->last_volume = volume;
  r->last_amount = amount;
  r->tariff_version = tariff_version;
  r->total_volume += volume;
  r->time = time;
  /* A new purchase waits for the meter. */
  r->flags = 0;
}

gboolean
vp_card_record_take_off_purchase (VpCardRecord *r,
                                  guint32       counter,
                                  gint64        time,
                                  GError      **error)
{
  VpCardPurchase last;

  g_return_val_if_fail (r != NULL, FALSE);

  if (r->n_history == 0 || r->last_volume == 0 || (r->flags & VP_CARD_FLAG_REVERSAL) != 0)
    return field_error (error, _("the card holds no purchase to take off"));
  if ((r->flags & VP_CARD_FLAG_LOADED) != 0)
    return field_error (error, _("purchase %u is already loaded into the meter"), r->counter);
  if (counter <= r->counter)
    return field_error (error, _("the reversal's counter %u is not past the card's %u"), counter,
                        r->counter);
  last = r->history[0];
  memmove (&r->history[0], &r->history[1], (r->n_history - 1) * sizeof r->history[0]);
  memset (&r->history[r->n_history - 1], 0, sizeof r->history[0]);
  r->n_history--;
  r->total_volume -= last.volume;
  r->counter = counter;
  r->last_volume = 0;
  r->last_amount = 0;
  r->time = time;
  r->flags = VP_CARD_FLAG_REVERSAL;
  return TRUE;
}

gboolean
vp_card_record_mark_loaded (VpCardRecord *r,
                            GError      **error)
{
  g_return_val_if_fail (r != NULL, FALSE);

  if (r->n_history == 0 || r->last_volume == 0 || (r->flags & VP_CARD_FLAG_REVERSAL) != 0)
    return field_error (error, _("the card holds no purchase to load"));
  r->flags |= VP_CARD_FLAG_LOADED;
  return TRUE;
}

gboolean
vp_card_image_parse (const guint8 *data,
                     gsize         len,
                     const guint8  key[VP_CARD_KEY_SIZE],
                     VpCardImage  *out,
                     GError      **error)
{
  g_auto(VpCardKeyring) ring = { 0 };

  g_return_val_if_fail (key != NULL, FALSE);
  vp_card_keyring_init (&ring);
  vp_card_keyring_set_legacy (&ring, key);
  return vp_card_image_parse_ring (data, len, &ring, out, error);
}

gboolean
vp_card_image_parse_ring (const guint8        *data,
                          gsize                len,
                          const VpCardKeyring *ring,
                          VpCardImage         *out,
                          GError             **error)
{
  GError *errors[VP_CARD_IMAGE_SLOTS] = { NULL, };
  VpCardRecord recs[VP_CARD_IMAGE_SLOTS];
  gboolean ok[VP_CARD_IMAGE_SLOTS];
  int best = -1;

  g_return_val_if_fail (out != NULL, FALSE);
  memset (out, 0, sizeof *out);
  out->slot = -1;

  if (data == NULL || len != VP_CARD_IMAGE_SIZE)
    {
      g_set_error (error, VP_CARD_RECORD_ERROR, VP_CARD_RECORD_ERROR_LENGTH,
                   _("A card holds %d bytes, this one gave %lu"), VP_CARD_IMAGE_SIZE,
                   (unsigned long)(data ? len : 0));
      return FALSE;
    }
  for (int i = 0; i < VP_CARD_IMAGE_SLOTS; i++)
    {
      ok[i] = vp_card_record_parse_ring (data + i * VP_CARD_RECORD_SIZE, VP_CARD_RECORD_SIZE,
                                         ring, &recs[i], &errors[i]);
      if (ok[i] && (best < 0 || recs[i].counter > recs[best].counter))
        best = i;
    }
  if (best < 0)
    {
      gboolean blank = TRUE;

      for (int i = 0; i < VP_CARD_IMAGE_SLOTS; i++)
        blank = blank && g_error_matches (errors[i], VP_CARD_RECORD_ERROR,
                                          VP_CARD_RECORD_ERROR_BLANK);
      if (blank)
        {
          out->blank = TRUE;
          for (int i = 0; i < VP_CARD_IMAGE_SLOTS; i++)
            g_clear_error (&errors[i]);
          return TRUE;
        }
      /* Report the slot that is not blank. */
      for (int i = 0; i < VP_CARD_IMAGE_SLOTS; i++)
        if (!g_error_matches (errors[i], VP_CARD_RECORD_ERROR, VP_CARD_RECORD_ERROR_BLANK))
          {
            g_propagate_error (error, g_steal_pointer (&errors[i]));
            break;
          }
      for (int i = 0; i < VP_CARD_IMAGE_SLOTS; i++)
        g_clear_error (&errors[i]);
      return FALSE;
    }
  out->has_record = TRUE;
  out->slot = best;
  out->record = recs[best];
  for (int i = 0; i < VP_CARD_IMAGE_SLOTS; i++)
    {
      if (i != best && !ok[i] &&
          !g_error_matches (errors[i], VP_CARD_RECORD_ERROR, VP_CARD_RECORD_ERROR_BLANK))
        {
          out->damaged = TRUE;
          out->damage = g_strdup (errors[i]->message);
        }
      /* Two valid slots must belong to the same card (the account may
       * differ: a provisional number replaced by the real one). */
      if (i != best && ok[i] && !g_str_equal (recs[i].card_number, recs[best].card_number))
        {
          g_set_error (error, VP_CARD_RECORD_ERROR, VP_CARD_RECORD_ERROR_FORGED,
                       _("Forged or altered card: its two record slots name different cards"));
          for (int j = 0; j < VP_CARD_IMAGE_SLOTS; j++)
            g_clear_error (&errors[j]);
          vp_card_image_clear (out);
          return FALSE;
        }
      g_clear_error (&errors[i]);
    }
  return TRUE;
}

void
vp_card_image_clear (VpCardImage *image)
{
  g_clear_pointer (&image->damage, g_free);
}

int
vp_card_image_next_slot (const VpCardImage *image)
{
  if (!image->has_record)
    return 0;
  return (image->slot + 1) % VP_CARD_IMAGE_SLOTS;
}
