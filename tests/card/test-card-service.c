/* test-card-service.c: the two-phase top-up, its recovery, forged cards,
 * blocked cards and reissue, through VpService with the simulated reader.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "card-test-util.h"

static gint64
journal_count (CardFx *fx)
{
  return fx_sql_int (fx, "SELECT count (*) FROM journal");
}

static VpJournalEntry *
topup (CardFx     *fx,
       VpMoney     amount,
       GError    **error)
{
  return vp_service_topup (fx->svc, fx->staff, fx->number, amount, 0, VP_PAYMENT_CASH, NULL,
                           NULL, NULL, NULL, error);
}

static GPtrArray *
recover (CardFx *fx)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *items = vp_service_recover_topups (fx->svc, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (items);
  return items;
}

static void
test_topup_ok (CardFx *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpJournalEntry) e1 = topup (fx, 5000, &error);
  g_autoptr(VpJournalEntry) e2 = NULL;
  g_auto(VpCardImage) image = { 0 };

  g_assert_no_error (error);
  g_assert_cmpstr (e1->kind, ==, VP_KIND_TOPUP_CONFIRM);
  e2 = topup (fx, 2000, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (e2->kind, ==, VP_KIND_TOPUP_CONFIRM);

  g_assert_true (fx_card_image (fx, fx->card, &image, &error));
  g_assert_cmpint (image.record.counter, ==, fx->counter0 + 2);
  g_assert_cmpuint (image.record.n_history, ==, 2);
  g_assert_cmpint (image.record.history[0].counter, ==, fx->counter0 + 2);
  g_assert_cmpint (image.record.history[1].counter, ==, fx->counter0 + 1);
  g_assert_cmpint (image.record.history[1].amount, <=, 5000);
  g_assert_cmpint (image.record.history[1].amount, >, 4900);
  g_assert_cmpstr (image.record.account_number, ==, fx->number);
  g_assert_false (image.damaged);
  fx_assert_consistent (fx);
}

/* The card leaves after 100 of 248 bytes: a torn slot, the old record
 * intact; the top-up stays pending until the card is back, then VOID. */
static void
test_pulled_mid_write (CardFx *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpJournalEntry) e = NULL;
  g_autoptr(GPtrArray) items = NULL;
  g_auto(VpCardImage) image = { 0 };
  VpRecoveryItem *it;

  vp_sim_card_set_fault (fx->sim, VP_SIM_FAULT_PULL_AFTER, 100);
  e = topup (fx, 3000, &error);
  g_assert_null (e);
  g_assert_error (error, VP_TOPUP_ERROR, VP_TOPUP_ERROR_PENDING);
  g_assert_nonnull (strstr (error->message, "pulled out"));
  g_assert_nonnull (strstr (error->message, "is pending"));
  g_clear_error (&error);
  g_assert_cmpint (fx_sql_int (fx, "SELECT count (*) FROM topups WHERE state = 'pending'"), ==, 1);
  g_assert_false (vp_card_reader_is_present (VP_CARD_READER (fx->sim)));

  /* Without the card nothing can be decided. */
  items = recover (fx);
  g_assert_cmpuint (items->len, ==, 1);
  it = items->pdata[0];
  g_assert_cmpint (it->outcome, ==, VP_RECOVERY_WAITING);
  g_clear_pointer (&items, g_ptr_array_unref);

  g_assert_true (fx_card_image (fx, fx->card, &image, &error));
  g_assert_true (image.damaged);
  g_assert_cmpint (image.record.counter, ==, fx->counter0);
  vp_card_image_clear (&image);

  g_assert_true (vp_sim_card_insert (fx->sim, fx->card, &error));
  items = recover (fx);
  g_assert_cmpuint (items->len, ==, 1);
  it = items->pdata[0];
  g_assert_cmpint (it->outcome, ==, VP_RECOVERY_VOIDED);
  g_assert_nonnull (strstr (it->message, "kept as credit"));
  fx_assert_consistent (fx);

  /* The card still works. */
  g_clear_pointer (&e, vp_journal_entry_free);
  e = topup (fx, 1000, &error);
  g_assert_no_error (error);
  fx_assert_consistent (fx);
}

/* Every byte reached the card but it left before the acknowledgement:
 * recovery finds the purchase and confirms. */
static void
test_pulled_after_write (CardFx *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpJournalEntry) e = NULL;
  g_autoptr(GPtrArray) items = NULL;

  vp_sim_card_set_fault (fx->sim, VP_SIM_FAULT_PULL_AFTER, VP_CARD_RECORD_SIZE);
  e = topup (fx, 3000, &error);
  g_assert_null (e);
  g_assert_error (error, VP_TOPUP_ERROR, VP_TOPUP_ERROR_PENDING);
  g_clear_error (&error);
  g_assert_true (vp_sim_card_insert (fx->sim, fx->card, &error));
  items = recover (fx);
  g_assert_cmpuint (items->len, ==, 1);
  g_assert_cmpint (((VpRecoveryItem *)items->pdata[0])->outcome, ==, VP_RECOVERY_CONFIRMED);
  fx_assert_consistent (fx);
  g_assert_cmpint (fx_sql_int (fx, "SELECT count (*) FROM topups WHERE state = 'confirmed'"), ==, 1);
}

static void
test_write_error (CardFx *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpJournalEntry) e = NULL;

  vp_sim_card_set_fault (fx->sim, VP_SIM_FAULT_WRITE_ERROR, 0);
  e = topup (fx, 4000, &error);
  g_assert_null (e);
  g_assert_error (error, VP_TOPUP_ERROR, VP_TOPUP_ERROR_VOIDED);
  g_assert_nonnull (strstr (error->message, "¥40.00 is kept as credit"));
  g_assert_cmpint (fx_sql_int (fx, "SELECT count (*) FROM topups WHERE state = 'voided'"), ==, 1);
  fx_assert_consistent (fx);
}

static void
test_readback_mismatch (CardFx *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpJournalEntry) e = NULL;

  vp_sim_card_set_fault (fx->sim, VP_SIM_FAULT_MISMATCH, 0);
  e = topup (fx, 4000, &error);
  g_assert_null (e);
  g_assert_error (error, VP_TOPUP_ERROR, VP_TOPUP_ERROR_VOIDED);
  g_assert_nonnull (strstr (error->message, "different data than was written"));
  g_assert_nonnull (strstr (error->message, "kept as credit"));
  fx_assert_consistent (fx);
}

static gint64
count_state (CardFx     *fx,
             const char *state)
{
  g_autofree char *sql = g_strdup_printf ("SELECT count (*) FROM topups WHERE state = '%s'", state);

  return fx_sql_int (fx, sql);
}

static VpMoney
balance (CardFx *fx)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpAccount) a = vp_account_store_get (fx->db, fx->number, &error);

  g_assert_no_error (error);
  return a->balance;
}

/* The whole record reached the card; reading it back failed twice (the
 * verify and the decision after it): the card holds the purchase, so
 * the top-up stays pending — not voided, no money credited — until the
 * card is read. Then it is confirmed: one purchase, nothing credited. */
static void
test_readback_fails_transiently (CardFx *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpJournalEntry) e = NULL;
  g_autoptr(GPtrArray) items = NULL;
  g_auto(VpCardImage) image = { 0 };
  VpRecoveryItem *it;

  vp_sim_card_set_fault (fx->sim, VP_SIM_FAULT_READ_FAIL, 2);
  e = topup (fx, 3000, &error);
  g_assert_null (e);
  g_assert_error (error, VP_TOPUP_ERROR, VP_TOPUP_ERROR_PENDING);
  g_assert_nonnull (strstr (error->message, "is pending"));
  g_assert_nonnull (strstr (error->message, "nothing to pay again"));
  g_assert_null (strstr (error->message, "voided"));
  g_clear_error (&error);
  g_assert_cmpint (count_state (fx, "pending"), ==, 1);
  g_assert_cmpint (count_state (fx, "voided"), ==, 0);
  g_assert_cmpint (fx_sql_int (fx, "SELECT count (*) FROM journal WHERE kind = 'topup.void'"), ==, 0);
  g_assert_cmpint (balance (fx), ==, fx->balance0);

  /* The card holds the purchase all along. */
  g_assert_true (fx_card_image (fx, fx->card, &image, &error));
  g_assert_cmpint (image.record.counter, ==, fx->counter0 + 1);

  /* The card is read (insert / recovery): confirmed, once. */
  items = recover (fx);
  g_assert_cmpuint (items->len, ==, 1);
  it = items->pdata[0];
  g_assert_cmpint (it->outcome, ==, VP_RECOVERY_CONFIRMED);
  g_clear_pointer (&items, g_ptr_array_unref);
  items = recover (fx);
  g_assert_cmpuint (items->len, ==, 0);
  g_assert_cmpint (count_state (fx, "confirmed"), ==, 1);
  g_assert_cmpint (count_state (fx, "voided"), ==, 0);
  g_assert_cmpint (fx_sql_int (fx, "SELECT count (*) FROM journal WHERE kind = 'topup.intent'"), ==, 1);
  g_assert_cmpint (fx_sql_int (fx, "SELECT count (*) FROM journal WHERE kind = 'topup.confirm'"), ==, 1);
  /* Only the leftover fen of the purchase are credit, nothing more. */
  g_assert_cmpint (balance (fx), ==,
                   fx->balance0 + fx_sql_int (fx, "SELECT leftover FROM topups"));
  fx_assert_consistent (fx);
}

/* One failed read-back: the decision's own read finds the purchase. */
static void
test_readback_fails_once (CardFx *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpJournalEntry) e = NULL;

  vp_sim_card_set_fault (fx->sim, VP_SIM_FAULT_READ_FAIL, 1);
  e = topup (fx, 3000, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (e->kind, ==, VP_KIND_TOPUP_CONFIRM);
  g_assert_cmpint (count_state (fx, "confirmed"), ==, 1);
  fx_assert_consistent (fx);
}

/* A pending top-up whose card reads as garbage is never voided; the
 * next top-up with the card readable again settles it first. */
static void
test_unreadable_stays_pending (CardFx *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpJournalEntry) e = NULL;
  g_autoptr(GPtrArray) items = NULL;
  VpRecoveryItem *it;

  vp_sim_card_set_fault (fx->sim, VP_SIM_FAULT_READ_FAIL, 2);
  e = topup (fx, 3000, &error);
  g_assert_error (error, VP_TOPUP_ERROR, VP_TOPUP_ERROR_PENDING);
  g_clear_error (&error);

  vp_sim_card_set_fault (fx->sim, VP_SIM_FAULT_GARBAGE, 0);
  items = recover (fx);
  g_assert_cmpuint (items->len, ==, 1);
  it = items->pdata[0];
  g_assert_cmpint (it->outcome, ==, VP_RECOVERY_WAITING);
  g_assert_cmpint (it->resolved_seq, ==, 0);
  g_assert_nonnull (strstr (it->message, "cannot be read"));
  g_assert_cmpint (count_state (fx, "pending"), ==, 1);
  g_assert_cmpint (balance (fx), ==, fx->balance0);
  g_clear_pointer (&items, g_ptr_array_unref);

  vp_sim_card_set_fault (fx->sim, VP_SIM_FAULT_NONE, 0);
  e = topup (fx, 2000, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (e->kind, ==, VP_KIND_TOPUP_CONFIRM);
  g_assert_cmpint (count_state (fx, "confirmed"), ==, 2);
  g_assert_cmpint (count_state (fx, "voided"), ==, 0);
  fx_assert_consistent (fx);
}

/* A top-up with the van's clock a year ahead, then one at the right
 * time: the card orders them by counter and takes both. */
static void
test_clock_ahead_then_back (CardFx *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpJournalEntry) e1 = NULL;
  g_autoptr(VpJournalEntry) e2 = NULL;
  g_autoptr(VpJournalEntry) e3 = NULL;
  g_autofree char *ahead = g_strdup_printf ("%" G_GINT64_FORMAT,
                                            g_get_real_time () / G_USEC_PER_SEC + 366 * 24 * 3600);
  g_auto(VpCardImage) image = { 0 };

  /* A year ahead, the shift's opening looks a year unsynced: over the
   * offline cap (vp-limits.h), so a supervisor approves this top-up. */
  VpStaff sup = { (char *)"sup01", (char *)"Supervisor", VP_ROLE_SUPERVISOR };

  g_setenv ("VP_FAKE_NOW", ahead, TRUE);
  e1 = topup (fx, 3000, &error);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_LIMIT);
  g_clear_error (&error);
  vp_limits_set_approver (fx->db, &sup);
  e1 = topup (fx, 3000, &error);
  vp_limits_set_approver (fx->db, NULL);
  g_unsetenv ("VP_FAKE_NOW");
  g_assert_no_error (error);
  g_assert_cmpint (fx_sql_int (fx, "SELECT count (*) FROM journal WHERE kind = 'topup.intent'"
                                   " AND json_extract (payload, '$.limit_exceeded') = 'unsynced_hours'"
                                   " AND json_extract (payload, '$.limit_approved_by') = 'sup01'"),
                   ==, 1);
  g_assert_cmpstr (e1->kind, ==, VP_KIND_TOPUP_CONFIRM);
  e2 = topup (fx, 2000, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (e2->kind, ==, VP_KIND_TOPUP_CONFIRM);
  e3 = topup (fx, 1000, &error);
  g_assert_no_error (error);

  g_assert_true (fx_card_image (fx, fx->card, &image, &error));
  g_assert_no_error (error);
  g_assert_cmpint (image.record.counter, ==, fx->counter0 + 3);
  g_assert_cmpint (image.record.history[2].counter, ==, fx->counter0 + 1);
  g_assert_cmpint (image.record.history[2].time, >, image.record.history[1].time);
  {
    g_autoptr(VpCardReadout) r = vp_service_card_read (fx->svc, NULL, &error);
    g_assert_no_error (error);
    g_assert_true (r->verified);
  }
  fx_assert_consistent (fx);
}

static void
assert_refused_unchanged (CardFx     *fx,
                          GQuark      domain,
                          int         code,
                          const char *message_part)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpJournalEntry) e = NULL;
  g_autoptr(VpAccount) a = NULL;
  gint64 before = journal_count (fx);

  e = topup (fx, 5000, &error);
  g_assert_null (e);
  g_assert_error (error, domain, code);
  g_assert_nonnull (strstr (error->message, message_part));
  g_assert_cmpint (journal_count (fx), ==, before);
  a = vp_account_store_get (fx->db, fx->number, NULL);
  g_assert_cmpint (a->balance, ==, fx->balance0);
}

static void
test_garbage_refused (CardFx *fx, gconstpointer data)
{
  vp_sim_card_set_fault (fx->sim, VP_SIM_FAULT_GARBAGE, 0);
  assert_refused_unchanged (fx, VP_CARD_ERROR, VP_CARD_ERROR_GARBAGE, "no VanPOS record");
}

static void
test_wrong_card_refused (CardFx *fx, gconstpointer data)
{
  g_assert_true (vp_sim_card_insert (fx->sim, fx->card2, NULL));
  assert_refused_unchanged (fx, VP_CARD_RECORD_ERROR, VP_CARD_RECORD_ERROR_WRONG_CARD, "Wrong card");
}

static void
test_no_card_refused (CardFx *fx, gconstpointer data)
{
  g_assert_true (vp_sim_card_remove (fx->sim, NULL));
  assert_refused_unchanged (fx, VP_CARD_ERROR, VP_CARD_ERROR_NO_CARD, "No card");
}

static void
overwrite_card (CardFx       *fx,
                const guint8 *image)
{
  g_autofree char *path = vp_sim_card_get_card_path (fx->sim, fx->card);

  g_assert_true (g_file_set_contents (path, (const char *)image, VP_CARD_IMAGE_SIZE, NULL));
}

static void
test_forged_mac (CardFx *fx, gconstpointer data)
{
  g_autofree char *path = vp_sim_card_get_card_path (fx->sim, fx->card);
  g_autofree char *img = NULL;
  gsize len;

  /* The resident "adds" volume: bytes 60..67 (last volume) change. */
  g_assert_true (g_file_get_contents (path, &img, &len, NULL));
  img[52 + 3] ^= 0x10;   /* counter */
  overwrite_card (fx, (guint8 *)img);
  assert_refused_unchanged (fx, VP_CARD_RECORD_ERROR, VP_CARD_RECORD_ERROR_MAC,
                            "Forged or altered card");
}

static void
test_forged_rollback (CardFx *fx, gconstpointer data)
{
  g_autofree char *path = vp_sim_card_get_card_path (fx->sim, fx->card);
  g_autofree char *saved = NULL;
  g_autoptr(VpJournalEntry) e = NULL;
  g_autoptr(GError) error = NULL;
  gsize len;

  e = topup (fx, 1000, &error);
  g_assert_no_error (error);
  fx->balance0 = vp_account_store_get (fx->db, fx->number, NULL)->balance;
  /* A copy of the card after one purchase, replayed after the second:
   * the resident wants the second purchase again. */
  g_assert_true (g_file_get_contents (path, &saved, &len, NULL));
  g_clear_pointer (&e, vp_journal_entry_free);
  e = topup (fx, 1000, &error);
  g_assert_no_error (error);
  fx->balance0 = vp_account_store_get (fx->db, fx->number, NULL)->balance;
  overwrite_card (fx, (guint8 *)saved);
  assert_refused_unchanged (fx, VP_CARD_RECORD_ERROR, VP_CARD_RECORD_ERROR_FORGED,
                            "counter rolled back");
}

static void
test_forged_account (CardFx *fx, gconstpointer data)
{
  guint8 image[VP_CARD_IMAGE_SIZE] = { 0 };
  VpCardRecord r = { 0 };

  /* A validly signed record (a leaked key, a cloned card) naming this
   * card but another account. */
  g_strlcpy (r.card_number, fx->card, sizeof r.card_number);
  g_strlcpy (r.account_number, fx->number2, sizeof r.account_number);
  r.counter = fx->counter0;
  r.time = g_get_real_time ();
  g_assert_true (vp_card_record_encode (&r, fx->key, image, NULL));
  overwrite_card (fx, image);
  assert_refused_unchanged (fx, VP_CARD_RECORD_ERROR, VP_CARD_RECORD_ERROR_FORGED,
                            "Forged or altered card");
}

static void
test_blocked (CardFx *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpCardReadout) r = NULL;

  g_assert_true (vp_card_store_block (fx->db, fx->card, "stolen", &error));
  assert_refused_unchanged (fx, VP_STORE_ERROR, VP_STORE_ERROR_CARD_BLOCKED, "blocked");
  r = vp_service_card_read (fx->svc, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (r->verified);
  g_assert_nonnull (strstr (r->problem, "blocked"));
}

static void
test_read_history (CardFx *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpCardReadout) r = NULL;

  for (int i = 1; i <= 7; i++)
    {
      g_autoptr(VpJournalEntry) e = topup (fx, 1000 * i, &error);
      g_assert_no_error (error);
    }
  r = vp_service_card_read (fx->svc, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (r->verified);
  g_assert_null (r->problem);
  g_assert_nonnull (r->account);
  g_assert_cmpstr (r->account->number, ==, fx->number);
  g_assert_cmpint (r->record.counter, ==, fx->counter0 + 7);
  g_assert_cmpuint (r->record.n_history, ==, VP_CARD_HISTORY);
  for (guint i = 0; i < VP_CARD_HISTORY; i++)
    g_assert_cmpint (r->record.history[i].counter, ==, fx->counter0 + 7 - i);
  /* Newest first: ¥70, ¥60, … (at most the fen of leftover less). */
  g_assert_cmpint (r->record.history[0].amount, >, 6900);
  g_assert_cmpint (r->record.history[0].amount, <=, 7000);
  fx_assert_consistent (fx);
}

/* A lost card: its pending top-up can never be read, so the reissue
 * voids it into credit, blocks the old card, carries the counter and
 * charges the fee; the new card takes top-ups, the old one is refused. */
static void
test_reissue (CardFx *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpJournalEntry) e = NULL;
  g_autoptr(VpJournalEntry) re = NULL;
  g_autoptr(VpAccount) a = NULL;
  g_autoptr(JsonObject) p = NULL;
  g_autofree char *note = NULL;
  g_autofree char *old_card = g_strdup (fx->card);
  g_auto(VpCardImage) image = { 0 };
  gint64 counter;

  e = topup (fx, 2000, &error);
  g_assert_no_error (error);
  g_clear_pointer (&e, vp_journal_entry_free);
  vp_sim_card_set_fault (fx->sim, VP_SIM_FAULT_PULL_AFTER, 10);
  e = topup (fx, 3000, &error);
  g_assert_error (error, VP_TOPUP_ERROR, VP_TOPUP_ERROR_PENDING);
  g_clear_error (&error);
  counter = fx->counter0 + 1;

  re = vp_service_card_reissue (fx->svc, fx->staff, fx->number, 1500, VP_PAYMENT_CASH, NULL,
                                "lost", &note, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (re->kind, ==, VP_KIND_CARD_REISSUE);
  p = vp_journal_entry_parse_payload (re);
  g_assert_cmpstr (json_object_get_string_member (p, "old_card"), ==, old_card);
  g_assert_cmpint (json_object_get_int_member (p, "counter"), ==, counter);
  g_assert_cmpint (json_object_get_int_member (p, "credit_carried"), ==, 3000);
  g_assert_cmpint (json_object_get_int_member (p, "fee"), ==, 1500);
  g_assert_true (vp_card_store_is_blocked (fx->db, old_card));
  g_assert_cmpint (fx_sql_int (fx, "SELECT count (*) FROM topups WHERE state = 'pending'"), ==, 0);

  a = vp_account_store_get (fx->db, fx->number, &error);
  g_assert_cmpstr (a->card_number, !=, old_card);
  g_assert_cmpstr (a->card_number, ==, json_object_get_string_member (p, "new_card"));
  g_assert_cmpint (a->card_counter, ==, counter);
  g_assert_nonnull (strstr (note, "written"));
  g_assert_true (fx_card_image (fx, a->card_number, &image, &error));
  g_assert_cmpint (image.record.counter, ==, counter);
  g_assert_cmpuint (image.record.n_history, ==, 0);

  /* The new card takes a top-up. */
  g_free (fx->card);
  fx->card = g_strdup (a->card_number);
  g_clear_pointer (&e, vp_journal_entry_free);
  e = topup (fx, 1000, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (e->kind, ==, VP_KIND_TOPUP_CONFIRM);

  /* The old card, found again, is refused and says why. */
  g_assert_true (vp_sim_card_insert (fx->sim, old_card, &error));
  g_clear_pointer (&e, vp_journal_entry_free);
  e = topup (fx, 1000, &error);
  g_assert_null (e);
  g_assert_nonnull (error);
  g_clear_error (&error);
  {
    g_autoptr(VpCardReadout) r = vp_service_card_read (fx->svc, NULL, &error);
    g_assert_no_error (error);
    g_assert_false (r->verified);
    g_assert_nonnull (strstr (r->problem, "blocked"));
  }
}

static void
test_reissue_needs_shift (CardFx *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpJournalEntry) close = NULL;
  g_autoptr(VpJournalEntry) re = NULL;
  g_autoptr(VpStaff) sup = vp_service_login (fx->svc, VP_DEMO_SUPERVISOR_ID, VP_DEMO_SUPERVISOR_PIN,
                                             &error);
  gint64 before;

  g_assert_no_error (error);
  close = vp_service_shift_close (fx->svc, sup, 10000, &error);
  g_assert_no_error (error);
  before = journal_count (fx);
  re = vp_service_card_reissue (fx->svc, fx->staff, fx->number, 1500, VP_PAYMENT_CASH, NULL,
                                "lost", NULL, NULL, &error);
  g_assert_null (re);
  g_assert_error (error, VP_STORE_ERROR, VP_STORE_ERROR_STATE);
  g_assert_cmpint (journal_count (fx), ==, before);
  g_assert_false (vp_card_store_is_blocked (fx->db, fx->card));
}

/* Recovery with another card in the reader leaves the top-up alone. */
static void
test_recover_waits_for_right_card (CardFx *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpJournalEntry) e = NULL;
  g_autoptr(GPtrArray) items = NULL;

  vp_sim_card_set_fault (fx->sim, VP_SIM_FAULT_PULL_AFTER, 50);
  e = topup (fx, 3000, &error);
  g_assert_null (e);
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_assert_true (vp_sim_card_insert (fx->sim, fx->card2, &error));
  items = recover (fx);
  g_assert_cmpuint (items->len, ==, 1);
  g_assert_cmpint (((VpRecoveryItem *)items->pdata[0])->outcome, ==, VP_RECOVERY_WAITING);
  g_assert_nonnull (strstr (((VpRecoveryItem *)items->pdata[0])->message, fx->card));
  g_assert_cmpint (fx_sql_int (fx, "SELECT count (*) FROM topups WHERE state = 'pending'"), ==, 1);
  g_clear_pointer (&items, g_ptr_array_unref);
  /* The right card settles it (a top-up on it recovers first). */
  g_assert_true (vp_sim_card_insert (fx->sim, fx->card, &error));
  e = topup (fx, 1000, &error);
  g_assert_no_error (error);
  fx_assert_consistent (fx);
  g_assert_cmpint (fx_sql_int (fx, "SELECT count (*) FROM topups WHERE state = 'voided'"), ==, 1);
}

static void
on_signal (VpCardReader *reader, gpointer user_data)
{
  (*(int *)user_data)++;
}

static void
test_reader_events (CardFx *fx, gconstpointer data)
{
  VpCardReader *r = VP_CARD_READER (fx->sim);
  int inserted = 0, removed = 0;

  g_signal_connect (r, "card-inserted", G_CALLBACK (on_signal), &inserted);
  g_signal_connect (r, "card-removed", G_CALLBACK (on_signal), &removed);
  g_assert_true (vp_card_reader_poll (r));
  g_assert_cmpint (inserted, ==, 1);
  g_assert_true (vp_card_reader_poll (r));
  g_assert_cmpint (inserted, ==, 1);
  g_assert_true (vp_sim_card_remove (fx->sim, NULL));
  g_assert_false (vp_card_reader_poll (r));
  g_assert_cmpint (removed, ==, 1);
  g_assert_true (vp_sim_card_insert (fx->sim, fx->card, NULL));
  g_assert_true (vp_card_reader_poll (r));
  g_assert_cmpint (inserted, ==, 2);
  g_signal_handlers_disconnect_by_data (r, &inserted);
  g_signal_handlers_disconnect_by_data (r, &removed);
}

static void
test_wait_timeout (CardFx *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GCancellable) c = g_cancellable_new ();
  gint64 t0;

  g_assert_true (vp_sim_card_remove (fx->sim, NULL));
  t0 = g_get_monotonic_time ();
  g_assert_false (vp_card_reader_wait_for_card (VP_CARD_READER (fx->sim), 300, NULL, &error));
  g_assert_error (error, VP_CARD_ERROR, VP_CARD_ERROR_TIMEOUT);
  g_assert_cmpint (g_get_monotonic_time () - t0, >=, 300000);
  g_clear_error (&error);
  g_cancellable_cancel (c);
  g_assert_false (vp_card_reader_wait_for_card (VP_CARD_READER (fx->sim), 5000, c, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* Without a reader set (the plain `vanpos-cli topup`), the service uses
 * simulated cards in "<db>.cards" and hands the account's card in itself;
 * a directory left by an earlier database is moved aside. */
static void
test_default_reader_autoinsert (CardFx *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpService) svc = vp_service_new (fx->db);
  g_autoptr(VpJournalEntry) e = NULL;
  g_autofree char *dir = g_strconcat (fx->db_path, ".cards", NULL);
  g_autofree char *marker = g_build_filename (dir, ".owner", NULL);
  g_autofree char *card_file = NULL;
  g_autoptr(GDir) d = NULL;
  const char *name;
  gboolean moved = FALSE;

  g_unsetenv ("VANPOS_CARD_DIR");
  g_unsetenv ("VANPOS_CARD_READER");
  g_setenv ("VANPOS_CARD_AUTOINSERT", "0", TRUE);
  e = vp_service_topup (svc, fx->staff, fx->number, 1000, 0, VP_PAYMENT_CASH, NULL, NULL, NULL,
                        NULL, &error);
  g_assert_null (e);
  g_assert_error (error, VP_CARD_ERROR, VP_CARD_ERROR_NO_CARD);
  g_clear_error (&error);
  g_clear_object (&svc);

  g_unsetenv ("VANPOS_CARD_AUTOINSERT");
  svc = vp_service_new (fx->db);
  e = vp_service_topup (svc, fx->staff, fx->number, 1000, 0, VP_PAYMENT_CASH, NULL, NULL, NULL,
                        NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (e->kind, ==, VP_KIND_TOPUP_CONFIRM);
  card_file = g_strdup_printf ("%s/%s.card", dir, fx->card);
  g_assert_true (g_file_test (card_file, G_FILE_TEST_IS_REGULAR));
  g_assert_true (g_file_test (marker, G_FILE_TEST_IS_REGULAR));

  /* Pretend the directory came from another database. */
  g_assert_true (g_file_set_contents (marker, "someone-else", -1, NULL));
  g_clear_object (&svc);
  g_clear_pointer (&e, vp_journal_entry_free);
  svc = vp_service_new (fx->db);
  e = vp_service_topup (svc, fx->staff, fx->number, 1000, 0, VP_PAYMENT_CASH, NULL, NULL, NULL,
                        NULL, &error);
  g_assert_no_error (error);
  d = g_dir_open (fx->dir, 0, NULL);
  while ((name = g_dir_read_name (d)))
    moved = moved || g_str_has_prefix (name, "van.db.cards.old-");
  g_assert_true (moved);
  g_assert_true (g_file_test (card_file, G_FILE_TEST_IS_REGULAR));
}

/* A card issued with a new (provisional) account keeps working after HQ
 * assigns the real account number at sync; its next record names it. */
static void
test_provisional_renamed (CardFx *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VpJournalEntry) open = NULL, e1 = NULL, e2 = NULL;
  g_autoptr(VpAccount) a = NULL;
  g_autofree char *real = vp_account_number_make (3409999990);
  g_autofree char *sql = NULL;
  g_auto(VpCardImage) image = { 0 };
  VpOpenAccountRequest r = { 0 };
  char *msg = NULL;

  r.holder = "王小明";
  r.id_number = "11010519491231002X";
  r.phone = "13800138000";
  r.estate = "长江花园";
  r.building = "5";
  r.room = "101";
  r.service = VP_SERVICE_GAS;
  r.meter = VP_METER_PREPAID;
  r.tariff_class = VP_TARIFF_CLASS_RESIDENTIAL;
  r.issue_card = TRUE;
  open = vp_service_open_account (fx->svc, fx->staff, &r, &error);
  g_assert_no_error (error);
  a = vp_account_store_get (fx->db, "P-VAN01-000001", &error);
  g_assert_no_error (error);
  g_assert_nonnull (a->card_number);
  g_assert_true (vp_sim_card_insert (fx->sim, a->card_number, &error));  /* a new blank card */
  e1 = vp_service_topup (fx->svc, fx->staff, a->number, 3000, 0, VP_PAYMENT_CASH, NULL, NULL, NULL,
                         NULL, &error);
  g_assert_no_error (error);
  g_assert_true (fx_card_image (fx, a->card_number, &image, &error));
  g_assert_cmpstr (image.record.account_number, ==, "P-VAN01-000001");
  vp_card_image_clear (&image);

  /* The sync renames the account (as vp-sync-store does). */
  sql = g_strdup_printf ("UPDATE accounts SET number = '%s', status = 'active' WHERE id = %"
                         G_GINT64_FORMAT, real, a->id);
  g_assert_cmpint (sqlite3_exec (vp_database_get_handle (fx->db), sql, NULL, NULL, &msg), ==,
                   SQLITE_OK);
  e2 = vp_service_topup (fx->svc, fx->staff, real, 2000, 0, VP_PAYMENT_CASH, NULL, NULL, NULL,
                         NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (e2->kind, ==, VP_KIND_TOPUP_CONFIRM);
  g_assert_true (fx_card_image (fx, a->card_number, &image, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (image.record.account_number, ==, real);
  g_assert_cmpuint (image.record.counter, ==, 2);
  {
    g_autoptr(VpCardReadout) out = vp_service_card_read (fx->svc, NULL, &error);
    g_assert_no_error (error);
    g_assert_true (out->verified);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define T(path, fn) g_test_add ("/card/service/" path, CardFx, NULL, fx_setup, fn, fx_teardown)
  T ("topup", test_topup_ok);
  T ("pulled-mid-write", test_pulled_mid_write);
  T ("pulled-after-write", test_pulled_after_write);
  T ("write-error", test_write_error);
  T ("readback-mismatch", test_readback_mismatch);
  T ("readback-fails-transiently", test_readback_fails_transiently);
  T ("readback-fails-once", test_readback_fails_once);
  T ("unreadable-stays-pending", test_unreadable_stays_pending);
  T ("clock-ahead-then-back", test_clock_ahead_then_back);
  T ("garbage-refused", test_garbage_refused);
  T ("wrong-card-refused", test_wrong_card_refused);
  T ("no-card-refused", test_no_card_refused);
  T ("forged-mac", test_forged_mac);
  T ("forged-rollback", test_forged_rollback);
  T ("forged-account", test_forged_account);
  T ("blocked", test_blocked);
  T ("read-history", test_read_history);
  T ("reissue", test_reissue);
  T ("reissue-needs-shift", test_reissue_needs_shift);
  T ("recover-waits-for-right-card", test_recover_waits_for_right_card);
  T ("reader-events", test_reader_events);
  T ("wait-timeout", test_wait_timeout);
  T ("default-reader-autoinsert", test_default_reader_autoinsert);
  T ("provisional-renamed", test_provisional_renamed);
  return g_test_run ();
}
