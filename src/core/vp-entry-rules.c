/* vp-entry-rules.c: the schema and semantic rules of every entry kind.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "vp-entry-rules.h"
#include "vp-payload-private.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "vp-account-number.h"
#include "vp-journal-entry.h"
#include "vp-money.h"

typedef gboolean (*VpEntryCheck) (const char      *kind,
                                  JsonObject      *payload,
                                  VpJournalLedger *ledger,
                                  GError         **error);

struct _VpEntryKind
{
  const char      *name;
  VpEntryKindFlags flags;
  VpEntryCheck     check;   /* NULL: the ledger's rules are all */
};

#define bad vp_payload_bad
#define int_in vp_payload_int
#define str_in vp_payload_str

static gboolean
account_in (JsonObject  *o,
            const char  *kind,
            const char  *member,
            gboolean     required,
            const char **out,
            GError     **error)
{
  if (!str_in (o, kind, member, required, out, error))
    return FALSE;
  if (*out != NULL && !vp_account_number_validate_any (*out, NULL))
    return bad (error, kind, member, _("is not an account number"));
  return TRUE;
}

static gboolean
object_in (JsonObject  *o,
           const char  *kind,
           const char  *member,
           gboolean     required,
           JsonObject **out,
           GError     **error)
{
  JsonNode *n = json_object_get_member (o, member);

  *out = NULL;
  if (n == NULL || JSON_NODE_HOLDS_NULL (n))
    return required ? bad (error, kind, member, _("is missing")) : TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (n))
    return bad (error, kind, member, _("is not an object"));
  *out = json_node_get_object (n);
  return TRUE;
}

static gboolean
class_in (JsonObject *o,
          const char *kind,
          const char *member,
          GError    **error)
{
  const char *s;
  VpTariffClass c;

  if (!str_in (o, kind, member, FALSE, &s, error))
    return FALSE;
  if (s != NULL && !vp_tariff_class_from_string (s, &c))
    return bad (error, kind, member, _("is not a known value"));
  return TRUE;
}

/* Bills paid, as pay, credit.settle and account.transfer list them:
 * each a period and a positive amount paid, of which from_credit came
 * from the account's credit. *sum is the total paid. */
static gboolean
bills_in (JsonObject *o,
          const char *kind,
          gboolean    required,
          VpMoney    *sum,
          VpMoney    *from_credit_sum,
          GError    **error)
{
  JsonNode *n = json_object_get_member (o, "bills");
  JsonArray *a;

  *sum = 0;
  *from_credit_sum = 0;
  if (n == NULL || JSON_NODE_HOLDS_NULL (n))
    return required ? bad (error, kind, "bills", _("is missing")) : TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (n))
    return bad (error, kind, "bills", _("is not a list of bills"));
  a = json_node_get_array (n);
  for (guint i = 0; i < json_array_get_length (a); i++)
    {
      JsonNode *bn = json_array_get_element (a, i);
      JsonObject *b;
      const char *period;
      VpMoney paid, from_credit;

      if (!JSON_NODE_HOLDS_OBJECT (bn))
        return bad (error, kind, "bills", _("is not a list of bills"));
      b = json_node_get_object (bn);
      if (!str_in (b, kind, "period", TRUE, &period, error) ||
          !int_in (b, kind, "paid", TRUE, 1, VP_MONEY_MAX_TRANSACTION, &paid, error) ||
          !int_in (b, kind, "from_credit", FALSE, 0, paid, &from_credit, error))
        return FALSE;
      /* Both ≤ ¥1,000,000 each and at most 1000 bills: no overflow. */
      if (i >= 1000)
        return bad (error, kind, "bills", _("is out of range"));
      *sum += paid;
      *from_credit_sum += from_credit;
    }
  return TRUE;
}

/* --- per kind ------------------------------------------------------------------ */

/* pay and credit.settle (src/store/vp-bill-store.c): every fen taken or
 * taken from credit goes to a bill or to credit, no more, no less. */
static gboolean
check_pay (const char      *kind,
           JsonObject      *p,
           VpJournalLedger *l,
           GError         **error)
{
  const char *account;
  VpMoney amount, credit_applied, to_credit, paid, from_credit;

  if (!account_in (p, kind, "account", TRUE, &account, error) ||
      !int_in (p, kind, "amount", FALSE, 0, VP_MONEY_MAX_TRANSACTION, &amount, error) ||
      !int_in (p, kind, "credit_applied", FALSE, 0, VP_ENTRY_MAX_BALANCE, &credit_applied, error) ||
      !int_in (p, kind, "to_credit", FALSE, 0, VP_MONEY_MAX_TRANSACTION, &to_credit, error) ||
      !bills_in (p, kind, TRUE, &paid, &from_credit, error))
    return FALSE;
  if (to_credit > amount)
    return bad (error, kind, "to_credit", _("is more than the amount"));
  if (paid + to_credit != amount + credit_applied)
    return bad (error, kind, "bills", _("do not add up to the amount and the credit applied"));
  if (json_object_has_member (p, "bills") && from_credit > credit_applied)
    return bad (error, kind, "bills", _("do not add up to the amount and the credit applied"));
  (void) l;
  return TRUE;
}

static gboolean
check_topup (const char      *kind,
             JsonObject      *p,
             VpJournalLedger *l,
             GError         **error)
{
  const char *account, *card;

  if (!account_in (p, kind, "account", TRUE, &account, error) ||
      !str_in (p, kind, "card_number", FALSE, &card, error) ||
      !int_in (p, kind, "counter", TRUE, 1, VP_ENTRY_MAX_CARD_COUNTER, NULL, error) ||
      !int_in (p, kind, "credit_used", FALSE, 0, VP_ENTRY_MAX_BALANCE, NULL, error) ||
      !int_in (p, kind, "to_credit", FALSE, 0, VP_ENTRY_MAX_BALANCE, NULL, error) ||
      !int_in (p, kind, "volume", FALSE, 0, G_MAXINT32, NULL, error))
    return FALSE;
  if (strcmp (kind, VP_KIND_TOPUP_INTENT) != 0 &&
      !int_in (p, kind, "intent_seq", TRUE, 1, G_MAXINT64, NULL, error))
    return FALSE;
  (void) l;
  return TRUE;
}

static gboolean
check_open (const char      *kind,
            JsonObject      *p,
            VpJournalLedger *l,
            GError         **error)
{
  const char *account, *holder, *service, *meter, *card;
  VpServiceKind s;
  VpMeterType m;

  if (!account_in (p, kind, "account", TRUE, &account, error) ||
      !str_in (p, kind, "holder", TRUE, &holder, error) ||
      !str_in (p, kind, "service", TRUE, &service, error) ||
      !str_in (p, kind, "meter", TRUE, &meter, error) ||
      !str_in (p, kind, "card_number", FALSE, &card, error) ||
      !class_in (p, kind, "tariff_class", error))
    return FALSE;
  if (!vp_service_kind_from_string (service, &s))
    return bad (error, kind, "service", _("is not a known value"));
  if (!vp_meter_type_from_string (meter, &m))
    return bad (error, kind, "meter", _("is not a known value"));
  for (const char * const *f = (const char * const[]) { "phone", "id_number", "estate", "building",
                                                         "unit", "room", "concession_expiry", NULL };
       *f != NULL; f++)
    {
      const char *v;

      if (!str_in (p, kind, *f, FALSE, &v, error))
        return FALSE;
    }
  (void) l;
  return TRUE;
}

static gboolean
check_transfer (const char      *kind,
                JsonObject      *p,
                VpJournalLedger *l,
                GError         **error)
{
  const char *account;
  JsonObject *new_h, *old_h, *final;
  VpMoney paid, from_credit;

  if (!account_in (p, kind, "account", TRUE, &account, error) ||
      !object_in (p, kind, "new_holder", TRUE, &new_h, error) ||
      !object_in (p, kind, "old_holder", FALSE, &old_h, error) ||
      !object_in (p, kind, "final_bill", FALSE, &final, error) ||
      !class_in (new_h, kind, "tariff_class", error) ||
      (old_h != NULL && !class_in (old_h, kind, "tariff_class", error)) ||
      !int_in (p, kind, "credit_applied", FALSE, 0, VP_ENTRY_MAX_BALANCE, NULL, error) ||
      !int_in (p, kind, "credit_before", FALSE, 0, VP_ENTRY_MAX_BALANCE, NULL, error) ||
      !int_in (p, kind, "final_reading", FALSE, 0, G_MAXINT64 / 2, NULL, error) ||
      !bills_in (p, kind, FALSE, &paid, &from_credit, error))
    return FALSE;
  if (final != NULL)
    {
      const char *period;

      if (!str_in (final, kind, "period", TRUE, &period, error) ||
          !int_in (final, kind, "amount", TRUE, 1, VP_MONEY_MAX_TRANSACTION, NULL, error))
        return FALSE;
    }
  (void) l;
  return TRUE;
}

/* credit.move and account.close (src/store/vp-account-ops.c): credit
 * leaves the account; never more than it had. */
static gboolean
check_move (const char      *kind,
            JsonObject      *p,
            VpJournalLedger *l,
            GError         **error)
{
  gboolean move = strcmp (kind, VP_KIND_CREDIT_MOVE) == 0;
  const char *account, *to;
  VpMoney amount, before, after;

  if (!account_in (p, kind, "account", TRUE, &account, error) ||
      !account_in (p, kind, "to_account", move, &to, error) ||
      !int_in (p, kind, "amount", TRUE, move ? 1 : 0, VP_MONEY_MAX_TRANSACTION, &amount, error) ||
      !int_in (p, kind, "balance_before", FALSE, 0, VP_ENTRY_MAX_BALANCE, &before, error) ||
      !int_in (p, kind, "balance_after", FALSE, 0, VP_ENTRY_MAX_BALANCE, &after, error))
    return FALSE;
  if (to != NULL && strcmp (to, account) == 0)
    return bad (error, kind, "to_account", _("is the account itself"));
  if (json_object_has_member (p, "balance_before"))
    {
      if (amount > before)
        return bad (error, kind, "amount", _("is more than the credit the account had"));
      if (json_object_has_member (p, "balance_after") && after != before - amount)
        return bad (error, kind, "balance_after", _("is not the credit before less the amount"));
    }
  else if (move)
    return bad (error, kind, "balance_before", _("is missing"));
  (void) l;
  return TRUE;
}

static gboolean
check_refund (const char      *kind,
              JsonObject      *p,
              VpJournalLedger *l,
              GError         **error)
{
  const char *account;
  VpMoney before;

  if (!account_in (p, kind, "account", TRUE, &account, error) ||
      !int_in (p, kind, "credit_before", FALSE, 0, VP_ENTRY_MAX_BALANCE, &before, error))
    return FALSE;
  if (json_object_has_member (p, "credit_before") && -l->amount > before)
    return bad (error, kind, "amount", _("is more than the credit the account had"));
  return TRUE;
}

static gboolean
check_reissue (const char      *kind,
               JsonObject      *p,
               VpJournalLedger *l,
               GError         **error)
{
  const char *account, *old_card, *new_card;

  if (!account_in (p, kind, "account", TRUE, &account, error) ||
      !str_in (p, kind, "old_card", FALSE, &old_card, error) ||
      !str_in (p, kind, "new_card", TRUE, &new_card, error) ||
      !int_in (p, kind, "counter", FALSE, 0, VP_ENTRY_MAX_CARD_COUNTER, NULL, error) ||
      !int_in (p, kind, "credit_carried", FALSE, 0, VP_ENTRY_MAX_BALANCE, NULL, error))
    return FALSE;
  (void) l;
  return TRUE;
}

static gboolean
check_void (const char      *kind,
            JsonObject      *p,
            VpJournalLedger *l,
            GError         **error)
{
  const char *account, *voided_kind;
  const VpEntryKind *target;

  if (!account_in (p, kind, "account", FALSE, &account, error) ||
      !str_in (p, kind, "voided_kind", FALSE, &voided_kind, error))
    return FALSE;
  if (voided_kind != NULL &&
      ((target = vp_entry_kind_lookup (voided_kind)) == NULL ||
       !(vp_entry_kind_get_flags (target) & VP_ENTRY_KIND_VOIDABLE)))
    return bad (error, kind, "voided_kind", _("is not a kind that can be voided"));
  (void) l;
  return TRUE;
}

static gboolean
check_shift (const char      *kind,
             JsonObject      *p,
             VpJournalLedger *l,
             GError         **error)
{
  if (!int_in (p, kind, "float", strcmp (kind, VP_KIND_SHIFT_OPEN) == 0, 0,
               VP_MONEY_MAX_TRANSACTION, NULL, error))
    return FALSE;
  (void) l;
  return TRUE;
}

/* journal.break (vp-journal-store.c): what broke, how many entries were
 * lost, who acknowledged it; HQ turns it into a review flag. */
static gboolean
check_break (const char      *kind,
             JsonObject      *p,
             VpJournalLedger *l,
             GError         **error)
{
  const char *what, *approved_by;

  if (!str_in (p, kind, "break", TRUE, &what, error) ||
      !str_in (p, kind, "approved_by", FALSE, &approved_by, error) ||
      !int_in (p, kind, "entries_lost", FALSE, G_MININT64, G_MAXINT64, NULL, error))
    return FALSE;
  (void) l;
  return TRUE;
}

/* staff.* (vp-staff-store.c): only a supervisor changes staff, and a
 * PIN or its hash never travels in the journal. */
static gboolean
check_staff (const char      *kind,
             JsonObject      *p,
             VpJournalLedger *l,
             GError         **error)
{
  const char *staff, *role;

  if (!str_in (p, kind, "staff", TRUE, &staff, error) ||
      !str_in (p, kind, "role", FALSE, &role, error))
    return FALSE;
  if (role != NULL && strcmp (role, "operator") != 0 && strcmp (role, "supervisor") != 0)
    return bad (error, kind, "role", _("is not operator or supervisor"));
  if (json_object_has_member (p, "pin") || json_object_has_member (p, "pin_hash"))
    return bad (error, kind, "pin", _("must not be in the journal"));
  (void) l;
  return TRUE;
}

#define V VP_ENTRY_KIND_VOIDABLE
#define A VP_ENTRY_KIND_ACCOUNT

/* Every kind a van may sign, once. */
static const VpEntryKind kinds[] = {
  { VP_KIND_PAY,              V | A, check_pay },
  { VP_KIND_CREDIT_SETTLE,    V | A, check_pay },
  /* Voided only by a top-up reversal, which rewrites the card first. */
  { VP_KIND_TOPUP_INTENT,     V | A, check_topup },
  { VP_KIND_TOPUP_CONFIRM,    A,     check_topup },
  { VP_KIND_TOPUP_VOID,       A,     check_topup },
  { VP_KIND_ACCOUNT_OPEN,     V | A, check_open },
  { VP_KIND_ACCOUNT_TRANSFER, V | A, check_transfer },
  { VP_KIND_ACCOUNT_CLOSE,    V | A, check_move },
  { VP_KIND_CREDIT_MOVE,      V | A, check_move },
  { VP_KIND_CREDIT_REFUND,    V | A, check_refund },
  { VP_KIND_CARD_REISSUE,     V | A, check_reissue },
  { VP_KIND_VOID,             0,     check_void },
  { VP_KIND_CASH_DROP,        V,     NULL },
  { VP_KIND_CASH_PAID_IN,     V,     NULL },
  { VP_KIND_CASH_PAID_OUT,    V,     NULL },
  { VP_KIND_SHIFT_OPEN,       0,     check_shift },
  { VP_KIND_SHIFT_CLOSE,      0,     check_shift },
  { VP_KIND_LOG_CONSULTATION, 0,     NULL },
  { VP_KIND_LOG_VISIT,        0,     NULL },
  { VP_KIND_LOG_COMPLAINT,    0,     NULL },
  { VP_KIND_TRIP_START,       0,     NULL },
  { VP_KIND_TRIP_END,         0,     NULL },
  { VP_KIND_JOURNAL_BREAK,    0,     check_break },
  { VP_KIND_LIMITS_SET,       0,     NULL },
  { VP_KIND_REVERSAL_INTENT,  A,     NULL },
  { VP_KIND_REVERSAL_ABANDON, A,     NULL },
  { VP_KIND_RECEIPT_REPRINT,  0,     NULL },
  { VP_KIND_STAFF_ADD,        0,     check_staff },
  { VP_KIND_STAFF_DISABLE,    0,     check_staff },
  { VP_KIND_STAFF_PIN_RESET,  0,     check_staff },
  { VP_KIND_STAFF_UNLOCK,     0,     check_staff },
};

#undef V
#undef A

const VpEntryKind *
vp_entry_kind_lookup (const char *kind)
{
  if (kind == NULL)
    return NULL;
  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    if (strcmp (kinds[i].name, kind) == 0)
      return &kinds[i];
  return NULL;
}

const char *
vp_entry_kind_get_name (const VpEntryKind *info)
{
  return info->name;
}

VpEntryKindFlags
vp_entry_kind_get_flags (const VpEntryKind *info)
{
  return info->flags;
}

/**
 * vp_entry_rules_check:
 * @kind: the entry kind
 * @payload: the payload as it is (to be) signed
 * @ledger: (out caller-allocates) (optional): the money effect
 * @error: return location for a #GError
 *
 * Returns: %TRUE if the entry is one the van may sign and HQ may apply
 */
gboolean
vp_entry_rules_check (const char      *kind,
                      JsonObject      *payload,
                      VpJournalLedger *ledger,
                      GError         **error)
{
  const VpEntryKind *info = vp_entry_kind_lookup (kind);
  VpJournalLedger local;
  const char *staff;

  g_return_val_if_fail (payload != NULL, FALSE);

  if (ledger == NULL)
    ledger = &local;
  if (info == NULL)
    {
      g_set_error (error, VP_JOURNAL_ERROR, VP_JOURNAL_ERROR_INVALID,
                   _("“%s” is not a known entry kind"), kind ? kind : "");
      return FALSE;
    }
  if (!vp_journal_ledger_from_payload (kind, payload, ledger, error))
    return FALSE;
  if (!str_in (payload, kind, "staff", FALSE, &staff, error))
    return FALSE;
  return info->check == NULL || info->check (kind, payload, ledger, error);
}
