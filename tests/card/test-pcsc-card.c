/* test-pcsc-card.c: the PC/SC driver over the real stack — pcscd with
 * Debian's vsmartcard-vpcd reader driver and a vsmartcard-vpicc emulated
 * ISO 7816 card (tests/card/vp-vicc-card.py) — through the service: a
 * top-up, a read-back, the card pulled mid-write (emulator stopped),
 * recovery when it comes back, a wrong card and a non-utility card.
 *
 * pcsc-lite 1.9's daemon always serves /run/pcscd/pcscd.comm, so the
 * test runs in its own mount namespace with a private tmpfs there and
 * its own reader configuration (pcscd -c): it never touches a system
 * pcscd. That needs root; without root or the packages it skips and
 * says why.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define _GNU_SOURCE
#include "config.h"

#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "card-test-util.h"
#include "vp-pcsc-card.h"

#define PCSCD "/usr/sbin/pcscd"
#define VPCD_DRIVER "/usr/lib/pcsc/drivers/serial/libifdvpcd.so"
#define PYTHON "/usr/bin/python3"

static char *skip_reason;
static char *tmp;
static char *script;
static guint port;
static GSubprocess *pcscd;
static GSubprocess *card;
static VpPcscCard *reader;

/* pcscd and the card die with the test, even when an assertion aborts it. */
static void
die_with_parent (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static gboolean
prepare (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocessLauncher) l = NULL;
  g_autofree char *conf_dir = NULL;
  g_autofree char *conf = NULL;
  g_autofree char *text = NULL;

  script = g_build_filename (g_getenv ("VP_SOURCE_DIR") ? g_getenv ("VP_SOURCE_DIR") : VP_SOURCE_DIR,
                             "tests", "card", "vp-vicc-card.py", NULL);
  if (getuid () != 0)
    {
      skip_reason = g_strdup ("needs root: pcsc-lite 1.9's pcscd only serves /run/pcscd, which "
                              "the test mounts privately");
      return FALSE;
    }
  if (!g_file_test (PCSCD, G_FILE_TEST_IS_EXECUTABLE) || !g_file_test (VPCD_DRIVER, G_FILE_TEST_EXISTS))
    {
      skip_reason = g_strdup ("needs the Debian packages pcscd and vsmartcard-vpcd");
      return FALSE;
    }
  if (!g_file_test ("/usr/lib/python3/site-packages/virtualsmartcard", G_FILE_TEST_IS_DIR))
    {
      skip_reason = g_strdup ("needs the Debian package vsmartcard-vpicc (python3-virtualsmartcard)");
      return FALSE;
    }
  if (system (PYTHON " -c 'import Cryptodome' 2>/dev/null") != 0 &&
      system (PYTHON " -c 'import Crypto' 2>/dev/null") != 0)
    {
      skip_reason = g_strdup ("vsmartcard-vpicc needs PyCryptodome: the Debian package "
                              "python3-pycryptodome");
      return FALSE;
    }

  /* A private /run/pcscd, invisible to the rest of the machine. */
  if (unshare (CLONE_NEWNS) != 0 ||
      mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
      (g_mkdir_with_parents ("/run/pcscd", 0755) != 0) ||
      mount ("tmpfs", "/run/pcscd", "tmpfs", 0, "mode=0755") != 0)
    {
      skip_reason = g_strdup_printf ("cannot make a private /run/pcscd: %s", g_strerror (errno));
      return FALSE;
    }

  tmp = g_dir_make_tmp ("vp-pcsc-XXXXXX", &error);
  g_assert_no_error (error);
  conf_dir = g_build_filename (tmp, "reader.conf.d", NULL);
  g_assert_cmpint (g_mkdir (conf_dir, 0755), ==, 0);
  /* vpcd listens on the channel id's port (and the next one). */
  port = 20000 + g_random_int_range (0, 20000) * 2;
  conf = g_build_filename (conf_dir, "vpcd", NULL);
  text = g_strdup_printf ("FRIENDLYNAME \"Virtual PCD\"\nDEVICENAME /dev/null:0x%04X\n"
                          "LIBPATH %s\nCHANNELID 0x%04X\n", port, VPCD_DRIVER, port);
  g_assert_true (g_file_set_contents (conf, text, -1, NULL));

  l = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_subprocess_launcher_set_child_setup (l, die_with_parent, NULL, NULL);
  pcscd = g_subprocess_launcher_spawn (l, &error, PCSCD, "-f", "-c", conf_dir, NULL);
  g_assert_no_error (error);
  for (int i = 0; i < 100 && !g_file_test ("/run/pcscd/pcscd.comm", G_FILE_TEST_EXISTS); i++)
    g_usleep (50 * 1000);
  g_assert_true (g_file_test ("/run/pcscd/pcscd.comm", G_FILE_TEST_EXISTS));
  g_usleep (300 * 1000);
  reader = vp_pcsc_card_new ("Virtual PCD 00 00", &error);
  g_assert_no_error (error);
  g_test_message ("pcscd up, reader “%s”, vpcd port %u",
                  vp_card_reader_get_name (VP_CARD_READER (reader)), port);
  return TRUE;
}

static void
stop_card (void)
{
  if (card == NULL)
    return;
  g_subprocess_force_exit (card);
  g_subprocess_wait (card, NULL, NULL);
  g_clear_object (&card);
  for (int i = 0; i < 100 && vp_card_reader_is_present (VP_CARD_READER (reader)); i++)
    g_usleep (50 * 1000);
  g_assert_false (vp_card_reader_is_present (VP_CARD_READER (reader)));
}

/* Puts the emulated card with this memory image into the reader. */
static void
start_card (const char *image,
            int         die_after_updates,
            gboolean    no_file)
{
  /* The emulator's complaints go to the test log (stderr). */
  g_autoptr(GSubprocessLauncher) l = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;

  stop_card ();
  g_subprocess_launcher_set_child_setup (l, die_with_parent, NULL, NULL);
  g_ptr_array_add (argv, g_strdup (PYTHON));
  g_ptr_array_add (argv, g_strdup (script));
  g_ptr_array_add (argv, g_strdup_printf ("--port=%u", port));
  g_ptr_array_add (argv, g_strdup_printf ("--image=%s", image));
  if (die_after_updates)
    g_ptr_array_add (argv, g_strdup_printf ("--die-after-updates=%d", die_after_updates));
  if (no_file)
    g_ptr_array_add (argv, g_strdup ("--no-file"));
  g_ptr_array_add (argv, NULL);
  card = g_subprocess_launcher_spawnv (l, (const char * const *)argv->pdata, &error);
  g_assert_no_error (error);
  g_assert_true (vp_card_reader_wait_for_card (VP_CARD_READER (reader), 15000, NULL, &error));
  g_assert_no_error (error);
}

static char *
image_path (CardFx     *fx,
            const char *name)
{
  return g_build_filename (fx->dir, name, NULL);
}

static void
pcsc_setup (CardFx *fx, gconstpointer data)
{
  fx_setup (fx, data);
  vp_service_set_card_reader (fx->svc, VP_CARD_READER (reader));
}

static void
pcsc_teardown (CardFx *fx, gconstpointer data)
{
  stop_card ();
  fx_teardown (fx, data);
}

static void
parse_image_file (CardFx      *fx,
                  const char  *path,
                  VpCardImage *image)
{
  g_autofree char *data = NULL;
  g_autoptr(GError) error = NULL;
  gsize len;

  g_assert_true (g_file_get_contents (path, &data, &len, NULL));
  g_assert_true (vp_card_image_parse ((const guint8 *)data, len, fx->key, image, &error));
  g_assert_no_error (error);
}

static VpJournalEntry *
topup (CardFx *fx, VpMoney amount, GError **error)
{
  return vp_service_topup (fx->svc, fx->staff, fx->number, amount, 0, VP_PAYMENT_CASH, NULL,
                           NULL, NULL, NULL, error);
}

static void
test_topup_and_read (CardFx *fx, gconstpointer data)
{
  g_autofree char *img = image_path (fx, "card-a.img");
  g_autoptr(GError) error = NULL;
  g_autoptr(VpJournalEntry) e1 = NULL, e2 = NULL;
  g_autoptr(VpCardReadout) r = NULL;
  g_auto(VpCardImage) image = { 0 };

  if (skip_reason)
    {
      g_test_skip (skip_reason);
      return;
    }
  start_card (img, 0, FALSE);   /* a new, blank card */
  e1 = topup (fx, 5000, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (e1->kind, ==, VP_KIND_TOPUP_CONFIRM);
  e2 = topup (fx, 2500, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (e2->kind, ==, VP_KIND_TOPUP_CONFIRM);

  /* What the card's EEPROM holds. */
  parse_image_file (fx, img, &image);
  g_assert_cmpint (image.record.counter, ==, fx->counter0 + 2);
  g_assert_cmpstr (image.record.card_number, ==, fx->card);
  g_assert_cmpint (image.slot, ==, 1);

  /* Read back through PC/SC. */
  r = vp_service_card_read (fx->svc, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (r->verified);
  g_assert_cmpstr (r->account->number, ==, fx->number);
  g_assert_cmpuint (r->record.n_history, ==, 2);
  g_assert_cmpint (r->record.history[0].counter, ==, fx->counter0 + 2);
  g_assert_cmpint (r->record.history[1].counter, ==, fx->counter0 + 1);
  g_assert_cmpint (fx_sql_int (fx, "SELECT count (*) FROM topups WHERE state = 'confirmed'"), ==, 2);
}

static void
test_pulled_mid_write (CardFx *fx, gconstpointer data)
{
  g_autofree char *img = image_path (fx, "card-a.img");
  g_autoptr(GError) error = NULL;
  g_autoptr(VpJournalEntry) e = NULL;
  g_autoptr(GPtrArray) items = NULL;
  g_auto(VpCardImage) image = { 0 };
  g_autoptr(VpAccount) a = NULL;
  VpRecoveryItem *it;

  if (skip_reason)
    {
      g_test_skip (skip_reason);
      return;
    }
  start_card (img, 0, FALSE);
  e = topup (fx, 5000, &error);
  g_assert_no_error (error);
  g_clear_pointer (&e, vp_journal_entry_free);

  /* The card leaves at the second UPDATE BINARY of the next record:
   * 124 of its 248 bytes reached it. */
  start_card (img, 2, FALSE);
  e = topup (fx, 3000, &error);
  g_assert_null (e);
  g_assert_nonnull (error);
  g_test_message ("pulled: %s", error->message);
  g_assert_error (error, VP_TOPUP_ERROR, VP_TOPUP_ERROR_PENDING);
  g_assert_nonnull (strstr (error->message, "is pending"));
  g_clear_error (&error);
  g_assert_cmpint (fx_sql_int (fx, "SELECT count (*) FROM topups WHERE state = 'pending'"), ==, 1);
  stop_card ();   /* it stopped itself; wait until pcscd sees it gone */
  parse_image_file (fx, img, &image);
  g_assert_true (image.damaged);
  g_assert_cmpint (image.record.counter, ==, fx->counter0 + 1);
  vp_card_image_clear (&image);

  /* Back in the reader: recovery reads it and voids into credit. */
  start_card (img, 0, FALSE);
  items = vp_service_recover_topups (fx->svc, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (items->len, ==, 1);
  it = items->pdata[0];
  g_test_message ("%s", it->message);
  g_assert_cmpint (it->outcome, ==, VP_RECOVERY_VOIDED);
  a = vp_account_store_get (fx->db, fx->number, &error);
  g_assert_cmpint (a->balance, ==,
                   fx->balance0 + 3000 + fx_sql_int (fx, "SELECT coalesce (sum (leftover), 0) FROM topups"
                                                         " WHERE state = 'confirmed'"));
  g_assert_cmpint (a->card_counter, ==, fx->counter0 + 1);

  /* And the card takes the next top-up into the slot it tore. */
  e = topup (fx, 1000, &error);
  g_assert_no_error (error);
  parse_image_file (fx, img, &image);
  g_assert_false (image.damaged);
  g_assert_cmpint (image.record.counter, ==, fx->counter0 + 2);
}

static void
test_wrong_card (CardFx *fx, gconstpointer data)
{
  g_autofree char *img = image_path (fx, "card-b.img");
  g_autofree char *sim_b = vp_sim_card_get_card_path (fx->sim, fx->card2);
  g_autofree char *content = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(VpJournalEntry) e = NULL;
  gint64 before = fx_sql_int (fx, "SELECT count (*) FROM journal");
  gsize len;

  if (skip_reason)
    {
      g_test_skip (skip_reason);
      return;
    }
  /* The other account's card, as issued. */
  g_assert_true (g_file_get_contents (sim_b, &content, &len, NULL));
  g_assert_true (g_file_set_contents (img, content, len, NULL));
  start_card (img, 0, FALSE);
  e = topup (fx, 5000, &error);
  g_assert_null (e);
  g_assert_error (error, VP_CARD_RECORD_ERROR, VP_CARD_RECORD_ERROR_WRONG_CARD);
  g_assert_nonnull (strstr (error->message, "Wrong card"));
  g_assert_cmpint (fx_sql_int (fx, "SELECT count (*) FROM journal"), ==, before);
}

static void
test_not_a_utility_card (CardFx *fx, gconstpointer data)
{
  g_autofree char *img = image_path (fx, "card-c.img");
  g_autoptr(GError) error = NULL;
  g_autoptr(VpJournalEntry) e = NULL;
  gint64 before = fx_sql_int (fx, "SELECT count (*) FROM journal");

  if (skip_reason)
    {
      g_test_skip (skip_reason);
      return;
    }
  start_card (img, 0, TRUE);
  e = topup (fx, 5000, &error);
  g_assert_null (e);
  g_assert_error (error, VP_CARD_ERROR, VP_CARD_ERROR_WRONG_CARD);
  g_assert_nonnull (strstr (error->message, "6A82"));
  g_assert_cmpint (fx_sql_int (fx, "SELECT count (*) FROM journal"), ==, before);
}

/* Two vans provisioned by one HQ hold the same utility master key (the
 * bundle's card-keys, stored as meta "card_keys") and different legacy
 * keys: through the PC/SC stack each reads and tops up cards the other
 * wrote; a card under another master key is refused as forged. */
#define MASTER_KEYS "1 5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a\n"

static void
test_two_vans_share_card (CardFx *fx, gconstpointer data)
{
  g_autofree char *img = image_path (fx, "card-shared.img");
  g_autofree char *img2 = image_path (fx, "card-shared2.img");
  g_autofree char *img3 = image_path (fx, "card-forged.img");
  g_autofree char *path_b = g_build_filename (fx->dir, "van-b.db", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(VpDatabase) db_b = NULL;
  g_autoptr(VpService) svc_b = NULL;
  g_autoptr(VpStaff) staff_b = NULL;
  g_autoptr(VpJournalEntry) shift = NULL;
  g_auto(VpCardKeyring) thief = { 0 };
  g_auto(VpCardImage) image = { 0 };
  guint8 forged[VP_CARD_IMAGE_SIZE] = { 0 };
  guint8 master[VP_CARD_KEY_SIZE];
  VpCardRecord rec = { 0 };

  if (skip_reason)
    {
      g_test_skip (skip_reason);
      return;
    }
  g_assert_true (vp_database_set_meta (fx->db, "card_keys", MASTER_KEYS, &error));
  db_b = vp_database_open (path_b, VP_DATABASE_OPEN_DEFAULT, &error);
  g_assert_no_error (error);
  g_assert_true (vp_database_init_van (db_b, "VAN02", &error));
  g_assert_true (vp_demo_populate (db_b, 40, 7, 1000, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (vp_card_store_set_key (db_b, "ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
                                        &error));
  g_assert_true (vp_database_set_meta (db_b, "card_keys", MASTER_KEYS, &error));
  svc_b = vp_service_new (db_b);
  staff_b = vp_service_login (svc_b, VP_DEMO_OPERATOR_ID, VP_DEMO_OPERATOR_PIN, &error);
  g_assert_no_error (error);
  shift = vp_service_shift_open (svc_b, staff_b, 10000, &error);
  g_assert_no_error (error);
  vp_service_set_card_reader (svc_b, VP_CARD_READER (reader));

  /* Van A tops up a new card; van B reads it. */
  start_card (img, 0, FALSE);
  {
    g_autoptr(VpJournalEntry) e = topup (fx, 5000, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (e->kind, ==, VP_KIND_TOPUP_CONFIRM);
  }
  {
    g_autoptr(VpCardReadout) r = vp_service_card_read (svc_b, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (r->record.card_number, ==, fx->card);
    g_assert_cmpint (r->record.counter, ==, fx->counter0 + 1);
    g_assert_cmpuint (r->record.key_version, ==, 1);
  }
  stop_card ();

  /* Van B tops up another new card; van A reads it. */
  start_card (img2, 0, FALSE);
  {
    g_autoptr(VpJournalEntry) e =
      vp_service_topup (svc_b, staff_b, fx->number2, 2500, 0, VP_PAYMENT_CASH, NULL, NULL, NULL,
                        NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (e->kind, ==, VP_KIND_TOPUP_CONFIRM);
  }
  {
    g_autoptr(VpCardReadout) r = vp_service_card_read (fx->svc, NULL, &error);
    g_assert_no_error (error);
    /* Read and MAC-verified; A has not synced B's top-up, so it says the
     * card is ahead of its records rather than "verified". */
    g_assert_cmpstr (r->record.card_number, ==, fx->card2);
    g_assert_cmpuint (r->record.key_version, ==, 1);
    g_assert_cmpuint (r->record.n_history, ==, 1);
  }
  stop_card ();
  /* What the EEPROM holds verifies under the master key, not A's legacy key. */
  {
    g_auto(VpCardKeyring) ring = { 0 };
    g_autofree char *content = NULL;
    gsize len;

    vp_card_keyring_init (&ring);
    g_assert_true (vp_card_keyring_add_masters_text (&ring, MASTER_KEYS, NULL));
    g_assert_true (g_file_get_contents (img2, &content, &len, NULL));
    g_assert_true (vp_card_image_parse_ring ((const guint8 *)content, len, &ring, &image, &error));
    g_assert_no_error (error);
    g_assert_false (vp_card_image_parse ((const guint8 *)content, len, fx->key, &image, &error));
    g_assert_error (error, VP_CARD_RECORD_ERROR, VP_CARD_RECORD_ERROR_MAC);
    g_clear_error (&error);
  }

  /* A card signed under another master key is forged at van B. */
  memset (master, 0x33, sizeof master);
  vp_card_keyring_init (&thief);
  g_assert_true (vp_card_keyring_add_master (&thief, 1, master, NULL));
  g_strlcpy (rec.card_number, fx->card, sizeof rec.card_number);
  g_strlcpy (rec.account_number, fx->number, sizeof rec.account_number);
  rec.counter = fx->counter0;
  rec.time = g_get_real_time ();
  g_assert_true (vp_card_record_encode_ring (&rec, &thief, forged, NULL));
  g_assert_true (g_file_set_contents (img3, (const char *)forged, sizeof forged, NULL));
  start_card (img3, 0, FALSE);
  {
    g_autoptr(VpJournalEntry) e =
      vp_service_topup (svc_b, staff_b, fx->number, 1000, 0, VP_PAYMENT_CASH, NULL, NULL, NULL,
                        NULL, &error);
    g_assert_null (e);
    g_assert_error (error, VP_CARD_RECORD_ERROR, VP_CARD_RECORD_ERROR_MAC);
    g_assert_nonnull (strstr (error->message, "Forged or altered"));
  }
  vp_service_set_card_reader (svc_b, NULL);
}

static void
count_signal (VpCardReader *r, gpointer user_data)
{
  (*(int *)user_data)++;
}

/* Insert and remove events through pcscd's reader state. */
static void
test_events (CardFx *fx, gconstpointer data)
{
  g_autofree char *img = image_path (fx, "card-e.img");
  VpCardReader *r;
  int inserted = 0, removed = 0;

  if (skip_reason)
    {
      g_test_skip (skip_reason);
      return;
    }
  r = VP_CARD_READER (reader);
  g_signal_connect (r, "card-inserted", G_CALLBACK (count_signal), &inserted);
  g_signal_connect (r, "card-removed", G_CALLBACK (count_signal), &removed);
  start_card (img, 0, FALSE);
  g_assert_true (vp_card_reader_poll (r));
  g_assert_cmpint (inserted, ==, 1);
  stop_card ();
  g_assert_false (vp_card_reader_poll (r));
  g_assert_cmpint (removed, ==, 1);
  start_card (img, 0, FALSE);
  g_assert_true (vp_card_reader_poll (r));
  g_assert_cmpint (inserted, ==, 2);
  g_signal_handlers_disconnect_by_data (r, &inserted);
  g_signal_handlers_disconnect_by_data (r, &removed);
}

int
main (int argc, char **argv)
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  prepare ();
  if (skip_reason)
    g_test_message ("skipping: %s", skip_reason);
#define T(path, fn) g_test_add ("/card/pcsc/" path, CardFx, NULL, pcsc_setup, fn, pcsc_teardown)
  T ("topup-and-read", test_topup_and_read);
  T ("pulled-mid-write", test_pulled_mid_write);
  T ("wrong-card", test_wrong_card);
  T ("not-a-utility-card", test_not_a_utility_card);
  T ("events", test_events);
  T ("two-vans-share-card", test_two_vans_share_card);
  ret = g_test_run ();
  stop_card ();
  g_clear_object (&reader);
  if (pcscd)
    {
      g_subprocess_send_signal (pcscd, SIGTERM);
      g_subprocess_wait (pcscd, NULL, NULL);
      g_clear_object (&pcscd);
    }
  if (tmp)
    {
      g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", tmp);
      if (system (cmd) != 0)
        g_printerr ("could not remove %s\n", tmp);
    }
  return ret;
}
