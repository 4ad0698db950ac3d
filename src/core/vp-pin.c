/* vp-pin.c: staff PINs, stored as PBKDF2-HMAC-SHA256.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "vp-pin.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#define PIN_SCHEME     "pbkdf2-sha256"
#define PIN_SALT_LEN   16
#define PIN_HASH_LEN   32
#define PIN_MIN_LEN    4
#define PIN_MAX_LEN    8

/* Below this a stored hash is too weak to trust; tests use the minimum. */
#define PIN_MIN_ITERATIONS 1000
/* Bounds the work a corrupted stored count can cause (about a minute). */
#define PIN_MAX_ITERATIONS 100000000

G_DEFINE_QUARK (vp-pin-error-quark, vp_pin_error)

/**
 * vp_pin_check_format:
 * @pin: a PIN as typed
 * @error: return location for a #GError
 *
 * Returns: %TRUE if @pin is 4 to 8 ASCII digits, otherwise %FALSE with
 *   %VP_PIN_ERROR_FORMAT
 */
gboolean
vp_pin_check_format (const char *pin,
                     GError    **error)
{
  gsize len;

  g_return_val_if_fail (pin != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  len = strlen (pin);
  if (len >= PIN_MIN_LEN && len <= PIN_MAX_LEN)
    {
      gsize i;

      for (i = 0; i < len; i++)
        if (!g_ascii_isdigit (pin[i]))
          break;
      if (i == len)
        return TRUE;
    }

  g_set_error (error, VP_PIN_ERROR, VP_PIN_ERROR_FORMAT,
               _("A PIN is %d to %d digits"), PIN_MIN_LEN, PIN_MAX_LEN);
  return FALSE;
}

static gboolean
derive (const char   *pin,
        const guint8 *salt,
        guint         iterations,
        guint8        out[PIN_HASH_LEN],
        GError      **error)
{
  if (PKCS5_PBKDF2_HMAC (pin, (int) strlen (pin), salt, PIN_SALT_LEN, (int) iterations,
                         EVP_sha256 (), PIN_HASH_LEN, out) != 1)
    {
      unsigned long err = ERR_get_error ();
      char buf[256] = "";

      if (err != 0)
        ERR_error_string_n (err, buf, sizeof buf);
      ERR_clear_error ();
      g_set_error (error, VP_PIN_ERROR, VP_PIN_ERROR_CRYPTO,
                   _("PBKDF2 failed: %s"), buf);
      return FALSE;
    }

  return TRUE;
}

/**
 * vp_pin_hash:
 * @pin: a PIN of 4 to 8 digits
 * @iterations: PBKDF2 iterations, %VP_PIN_ITERATIONS in production; at
 *   least 1000
 * @error: return location for a #GError
 *
 * Returns: (transfer full): "pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>"
 *   with a fresh 16 byte salt, or %NULL on error
 */
char *
vp_pin_hash (const char *pin,
             guint       iterations,
             GError    **error)
{
  guint8 salt[PIN_SALT_LEN];
  guint8 hash[PIN_HASH_LEN];
  g_autofree char *salt_b64 = NULL;
  g_autofree char *hash_b64 = NULL;
  char *ret;

  g_return_val_if_fail (pin != NULL, NULL);
  g_return_val_if_fail (iterations >= PIN_MIN_ITERATIONS, NULL);
  g_return_val_if_fail (iterations <= PIN_MAX_ITERATIONS, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!vp_pin_check_format (pin, error))
    return NULL;

  if (RAND_bytes (salt, sizeof salt) != 1)
    {
      ERR_clear_error ();
      g_set_error_literal (error, VP_PIN_ERROR, VP_PIN_ERROR_CRYPTO,
                           _("Could not get random bytes for the PIN salt"));
      return NULL;
    }

  if (!derive (pin, salt, iterations, hash, error))
    return NULL;

  salt_b64 = g_base64_encode (salt, sizeof salt);
  hash_b64 = g_base64_encode (hash, sizeof hash);
  ret = g_strdup_printf (PIN_SCHEME "$%u$%s$%s", iterations, salt_b64, hash_b64);

  OPENSSL_cleanse (hash, sizeof hash);
  return ret;
}

/* g_base64_decode() skips characters it does not know and accepts any
 * length, so only the one canonical spelling of exactly @len bytes passes. */
static gboolean
decode_b64_exact (const char *b64,
                  guint8     *out,
                  gsize       len)
{
  g_autofree guint8 *raw = NULL;
  g_autofree char *again = NULL;
  gsize raw_len = 0;

  if (strlen (b64) != 4 * ((len + 2) / 3))
    return FALSE;

  raw = g_base64_decode (b64, &raw_len);
  if (raw == NULL || raw_len != len)
    return FALSE;

  again = g_base64_encode (raw, raw_len);
  if (strcmp (again, b64) != 0)
    return FALSE;

  memcpy (out, raw, len);
  return TRUE;
}

static gboolean
parse_stored (const char *stored,
              guint      *iterations,
              guint8      salt[PIN_SALT_LEN],
              guint8      hash[PIN_HASH_LEN],
              GError    **error)
{
  g_auto(GStrv) parts = g_strsplit (stored, "$", -1);
  guint64 n = 0;

  if (g_strv_length (parts) != 4 || strcmp (parts[0], PIN_SCHEME) != 0)
    goto bad;

  /* Plain decimal only: no sign, no leading zero, no whitespace. */
  if (parts[1][0] < '1' || parts[1][0] > '9'
      || !g_ascii_string_to_unsigned (parts[1], 10, PIN_MIN_ITERATIONS, PIN_MAX_ITERATIONS,
                                      &n, NULL))
    goto bad;

  if (!decode_b64_exact (parts[2], salt, PIN_SALT_LEN)
      || !decode_b64_exact (parts[3], hash, PIN_HASH_LEN))
    goto bad;

  *iterations = (guint) n;
  return TRUE;

bad:
  g_set_error_literal (error, VP_PIN_ERROR, VP_PIN_ERROR_STORED,
                       _("The stored PIN hash is unreadable"));
  return FALSE;
}

/**
 * vp_pin_verify:
 * @pin: the PIN as typed
 * @stored: a string from vp_pin_hash()
 * @error: return location for a #GError
 *
 * Recomputes PBKDF2 with the salt and iteration count in @stored and
 * compares in constant time.
 *
 * Returns: %TRUE if @pin matches; otherwise %FALSE with
 *   %VP_PIN_ERROR_MISMATCH (wrong PIN), %VP_PIN_ERROR_FORMAT (not 4–8
 *   digits) or %VP_PIN_ERROR_STORED (@stored unreadable)
 */
gboolean
vp_pin_verify (const char *pin,
               const char *stored,
               GError    **error)
{
  guint8 salt[PIN_SALT_LEN];
  guint8 expected[PIN_HASH_LEN];
  guint8 actual[PIN_HASH_LEN];
  guint iterations = 0;
  gboolean ret = FALSE;

  g_return_val_if_fail (pin != NULL, FALSE);
  g_return_val_if_fail (stored != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!parse_stored (stored, &iterations, salt, expected, error))
    return FALSE;

  if (!vp_pin_check_format (pin, error))
    goto out;

  if (!derive (pin, salt, iterations, actual, error))
    goto out;

  if (CRYPTO_memcmp (actual, expected, PIN_HASH_LEN) != 0)
    {
      g_set_error_literal (error, VP_PIN_ERROR, VP_PIN_ERROR_MISMATCH, _("Wrong PIN"));
      goto out;
    }

  ret = TRUE;

out:
  OPENSSL_cleanse (actual, sizeof actual);
  OPENSSL_cleanse (expected, sizeof expected);
  return ret;
}
