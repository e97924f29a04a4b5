"""Bodies of the auth, account and cooperative endpoints."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from schemas.taxonomy import CATEGORY_CODES, LOCALES, REGION_CODES

from .fields import Phone, StrictBoolean

PIN = fields.String(
    validate=validate.Regexp(r"^[0-9]{4,8}$", error="A PIN is 4 to 8 digits."),
    metadata={"description": "4 to 8 digits", "example": "2580"},
)
PASSWORD = fields.String(
    validate=validate.Length(min=8, max=200),
    metadata={"description": "at least 8 characters", "example": "argan-oil-2026"},
)
LOCALE = fields.String(
    validate=validate.OneOf(LOCALES),
    load_default="ar",
    metadata={"description": "language of messages: ar, fr or en", "example": "ar"},
)


def _phone(example: str = "0612345678") -> Phone:
    return Phone(
        required=True,
        metadata={
            "description": "any format; stored as E.164 (Morocco by default)",
            "example": example,
        },
    )


def _display_name(example: str) -> fields.String:
    return fields.String(
        required=True,
        validate=validate.Length(min=1, max=120),
        metadata={"example": example},
    )


# A device credential (api/services/known_devices.py): ours are 66 characters.
DEVICE_CREDENTIAL_MAX = 200
DEVICE_CREDENTIAL_EXAMPLE = "Xq3k9Zt0bH2mVw8RcY1uJg.9mB4f0Yt1wQeL7sK2nHcV5xA8pZ3rT6uJ0dG4iE9yWl"

# Not the PIN/password rules of accounts: an old secret may predate them. The upper bound
# caps the argon2 work one request can ask for.
SIGN_IN_SECRET = validate.Length(min=1, max=200)


class SignInSchema(Schema):
    phone = _phone()
    pin = fields.String(
        validate=SIGN_IN_SECRET,
        metadata={"description": "the PIN, or send `password`", "example": "2580"},
    )
    password = fields.String(
        validate=SIGN_IN_SECRET,
        metadata={"description": "the password, or send `pin`", "example": "hirfa-buyer-2026"},
    )
    device_credential = fields.String(
        validate=validate.Length(max=DEVICE_CREDENTIAL_MAX),
        metadata={
            "description": (
                "the `device_credential` this phone got at its last sign-in to this account "
                "(or send it as the `X-Device-Credential` header): failures from other "
                "devices never hold a known device back. Optional; one that is not valid "
                "(forged, another account's, forgotten) counts as a new device, not an error."
            ),
            "example": DEVICE_CREDENTIAL_EXAMPLE,
        },
    )
    # The whole body's example (api/rest.py): one secret, as a valid request has.
    swagger_example = {
        "phone": "0600000100",
        "pin": "2580",
        "device_credential": DEVICE_CREDENTIAL_EXAMPLE,
    }

    @validates_schema
    def one_secret(self, data, **kwargs):
        if ("pin" in data) == ("password" in data):
            raise ValidationError("Send either `pin` or `password`.", "_schema")


class TokenPairSchema(Schema):
    access_token = fields.String(metadata={"example": "eyJhbGciOiJIUzI1NiIs..."})
    refresh_token = fields.String(metadata={"example": "kq3...Xw.8f1...aQ"})
    token_type = fields.String(metadata={"example": "Bearer"})
    expires_in = fields.Integer(metadata={"description": "seconds", "example": 900})


class RefreshSchema(Schema):
    refresh_token = fields.String(required=True, metadata={"example": "kq3...Xw.8f1...aQ"})


class FirebaseExchangeSchema(Schema):
    id_token = fields.String(
        required=True,
        metadata={
            "description": "a Firebase Auth ID token from phone sign-in",
            "example": "eyJhbGciOiJSUzI1NiIs...",
        },
    )


class UserSchema(Schema):
    id = fields.String(metadata={"example": "art_5f2c9e1a7b3d4c60"})
    phone = fields.String(metadata={"example": "+212612345678"})
    role = fields.String(metadata={"example": "artisan"})
    display_name = fields.String(metadata={"example": "فاطمة أيت علي"})
    locale = fields.String(metadata={"example": "ar"})
    cooperative_id = fields.String(allow_none=True, metadata={"example": "coop-taza-zerbia"})
    cooperative_ids = fields.List(fields.String(), metadata={"example": ["coop-taza-zerbia"]})
    disabled = fields.Boolean(metadata={"example": False})
    created_at = fields.Float(metadata={"description": "Unix time", "example": 1795000000.0})


class SessionSchema(TokenPairSchema):
    user = fields.Nested(UserSchema)


class SignInSessionSchema(SessionSchema):
    device_credential = fields.String(
        metadata={
            "description": (
                "this device's credential for this account: keep it (the app's private "
                "storage) and send it back at every sign-in to the account"
            ),
            "example": DEVICE_CREDENTIAL_EXAMPLE,
        }
    )


class ProfileUpdateSchema(Schema):
    display_name = fields.String(
        validate=validate.Length(min=1, max=120), metadata={"example": "Fatima Ait Ali"}
    )
    locale = fields.String(validate=validate.OneOf(LOCALES), metadata={"example": "fr"})


class CreateArtisanSchema(Schema):
    phone = _phone("0661234567")
    display_name = _display_name("خديجة بنعلي")
    pin = fields.String(required=True, validate=PIN.validate, metadata=PIN.metadata)
    cooperative_id = fields.String(required=True, metadata={"example": "coop-taza-zerbia"})
    locale = LOCALE


class RegisterBuyerSchema(Schema):
    phone = _phone("+33612345678")
    display_name = _display_name("Claire Martin")
    password = fields.String(required=True, validate=PASSWORD.validate, metadata=PASSWORD.metadata)
    locale = fields.String(
        validate=validate.OneOf(LOCALES), load_default="fr", metadata={"example": "fr"}
    )


class CreateCoordinatorSchema(Schema):
    phone = _phone("0677889900")
    display_name = _display_name("Naima El Idrissi")
    password = fields.String(required=True, validate=PASSWORD.validate, metadata=PASSWORD.metadata)
    cooperative_ids = fields.List(
        fields.String(),
        required=True,
        validate=validate.Length(min=1),
        metadata={"example": ["coop-taza-zerbia"]},
    )
    locale = LOCALE


class ResetPinSchema(Schema):
    pin = fields.String(required=True, validate=PIN.validate, metadata=PIN.metadata)


class DisableSchema(Schema):
    disabled = StrictBoolean(required=True, metadata={"example": True})


class CooperativeSchema(Schema):
    id = fields.String(metadata={"example": "coop-taza-zerbia"})
    name_ar = fields.String(metadata={"example": "تعاونية زربية تازة"})
    name_fr = fields.String(metadata={"example": "Coopérative Zerbia de Taza"})
    region = fields.String(metadata={"example": "fes-meknes"})
    categories = fields.List(fields.String(), metadata={"example": ["carpets", "weaving"]})
    created_at = fields.Float(metadata={"example": 1795000000.0})


class CreateCooperativeSchema(Schema):
    id = fields.String(
        validate=validate.Regexp(r"^[a-z0-9][a-z0-9-]{2,62}$"),
        metadata={"description": "optional readable id", "example": "coop-oulouz-argan"},
    )
    name_ar = fields.String(
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={"example": "تعاونية أركان أولوز"},
    )
    name_fr = fields.String(
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={"example": "Coopérative Argan Oulouz"},
    )
    region = fields.String(
        required=True,
        validate=validate.OneOf(sorted(REGION_CODES)),
        metadata={"example": "souss-massa"},
    )
    categories = fields.List(
        fields.String(validate=validate.OneOf(sorted(CATEGORY_CODES))),
        load_default=list,
        metadata={"example": ["argan"]},
    )


class ReferenceEntrySchema(Schema):
    code = fields.String(metadata={"example": "carpets"})
    ar = fields.String(metadata={"example": "الزرابي"})
    fr = fields.String(metadata={"example": "Tapis"})
    en = fields.String(metadata={"example": "Carpets and rugs"})
