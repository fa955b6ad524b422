-- The latest record of each customer: a re-sent record (same email, later lastupdatedate)
-- replaces the earlier ones, including a withdrawal of consent.
-- Records updated in the same millisecond resolve towards no consent, then towards the
-- latest consent date, so a doubtful record never widens what research may use.
SELECT
    customername, email, phone, birthday, serialnumber, registrationdate, lastupdatedate,
    sharewithresearchasofdate, sharewithpublicasofdate, sharewithfriendsasofdate
FROM (
    SELECT
        c.*,
        row_number() OVER (
            PARTITION BY c.email
            ORDER BY
                c.lastupdatedate DESC,
                c.sharewithresearchasofdate DESC NULLS FIRST,
                c.serialnumber, c.registrationdate, c.customername, c.phone, c.birthday,
                c.sharewithpublicasofdate, c.sharewithfriendsasofdate
        ) AS recency
    FROM customer_landing AS c
) AS ranked
WHERE recency = 1
