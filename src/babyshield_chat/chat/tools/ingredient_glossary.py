"""A small curated glossary of ingredients common in baby products.

Formula bases and fats, DHA/ARA, HMOs and prebiotics, probiotics, sugars and
sweeteners, preservatives, fragrance, skin-care bases and a few food
additives, with one factual sentence each in English and Spanish. Entries
flagged `caution` carry a published reason to think twice (for example the
EU ban on propyl- and butylparaben in leave-on nappy-area products for under
3s) and cite it where there is one; the rest are neutral explanations.

Patterns run on folded text (`chat.text.fold`). Adding an entry is adding a
line here; `ingredient_info` needs no change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from babyshield_chat.chat.text import fold
from babyshield_chat.chat.tools.common import Citation, Says

EU_PARABENS = Citation(
    "regulation",
    "eu-regulation-1004-2014",
    "Commission Regulation (EU) No 1004/2014: propyl- and butylparaben banned in leave-on products for the nappy area "
    "of children under 3",
)
EU_MIT = Citation(
    "regulation",
    "eu-regulation-2016-1198",
    "Commission Regulation (EU) 2016/1198: methylisothiazolinone banned in leave-on cosmetics",
)
DGA_ADDED_SUGAR = Citation(
    "guideline",
    "dietary-guidelines-2020-2025",
    "Dietary Guidelines for Americans 2020-2025: no added sugars for children younger than 2",
)
CDC_HONEY = Citation(
    "guideline", "cdc-aap-honey-infant-botulism", "CDC and AAP: no honey before 12 months (infant botulism)"
)
FDA_RICE_ARSENIC = Citation(
    "guideline",
    "fda-infant-rice-cereal-arsenic-2020",
    "FDA guidance (2020): action level of 100 ppb inorganic arsenic in infant rice cereals",
)


@dataclass(frozen=True)
class Entry:
    """One glossary entry: how to recognise it and what to say about it."""

    key: str
    pattern: re.Pattern[str]
    says: Says
    caution: bool = False
    citation: Citation | None = None


def _e(key: str, pattern: str, en: str, es: str, caution: bool = False, citation: Citation | None = None) -> Entry:
    return Entry(key, re.compile(pattern), Says(en, es), caution, citation)


GLOSSARY: tuple[Entry, ...] = (
    # --- formula and food bases ---
    _e(
        "hydrolysed_protein",
        r"\bhydroly[sz](?:ed|ate)\b",
        "Protein broken into smaller pieces: extensively hydrolysed protein is used in formulas for milk allergy, "
        "partially hydrolysed protein in 'gentle' formulas, which are not for allergy.",
        "Proteína dividida en trozos más pequeños: la extensamente hidrolizada se usa en fórmulas para la alergia a la "
        "leche; la parcialmente hidrolizada, en fórmulas 'suaves', que no son para alergia.",
    ),
    _e(
        "milk",
        r"\b(?:nonfat|skim(?:med)?|whole|reduced[\s-]fat)\s+(?:dry\s+)?milk\b|\bmilk\s+(?:powder|solids)\b"
        r"|^(?:cow'?s\s+)?milk$"
        r"|\bleche\s+(?:desnatada|descremada|entera)\b",
        "Cow's milk (here with some or all of the fat removed), the protein and lactose base of most standard "
        "formulas.",
        "Leche de vaca (aquí con parte o toda la grasa quitada), la base de proteína y lactosa de la mayoría de las "
        "fórmulas estándar.",
    ),
    _e(
        "whey",
        r"\bwhey\b|\bsuero\s+de\s+leche\b",
        "A milk protein; formulas add it so their protein mix is closer to breast milk, which is mostly whey.",
        "Una proteína de la leche; las fórmulas la añaden para que su proteína se parezca más a la de la leche "
        "materna, que es sobre todo suero.",
    ),
    _e(
        "casein",
        r"\bcasein(?:ate)?s?\b",
        "The main protein in cow's milk.",
        "La proteína principal de la leche de vaca.",
    ),
    _e(
        "lactose",
        r"\blactos[ae]\b",
        "The natural sugar of milk and the main carbohydrate in breast milk and standard formulas.",
        "El azúcar natural de la leche y el principal carbohidrato de la leche materna y de las fórmulas estándar.",
    ),
    _e(
        "corn_syrup_solids",
        r"\b(?:corn|glucose)\s+syrup\s+solids\b|\bsolidos\s+de\s+jarabe\s+de\s+maiz\b",
        "Dried glucose syrup, a carbohydrate used instead of lactose in lactose-reduced and many hypoallergenic "
        "formulas.",
        "Jarabe de glucosa deshidratado, un carbohidrato que sustituye a la lactosa en fórmulas con poca lactosa y en "
        "muchas hipoalergénicas.",
    ),
    _e(
        "maltodextrin",
        r"\bmaltodextrin[ae]?\b",
        "A carbohydrate made from starch, used for energy and texture.",
        "Un carbohidrato hecho de almidón, usado para aportar energía y textura.",
    ),
    _e(
        "soy_protein",
        r"\bsoy\s+protein\s+isolate\b|\baislado\s+de\s+proteina\s+de\s+soya\b",
        "The protein base of soy formulas.",
        "La base de proteína de las fórmulas de soya.",
    ),
    _e(
        "amino_acids",
        r"\bfree\s+amino\s+acids\b|\bamino\s+acids?\b|\bl-(?:glutamine|leucine|lysine|valine|arginine|cystine"
        r"|tyrosine)\b",
        "Protein in its simplest form; amino acid-based formulas are for babies with severe milk allergy.",
        "Proteína en su forma más simple; las fórmulas de aminoácidos son para bebés con alergia grave a la leche.",
    ),
    # --- fats ---
    _e(
        "palm_olein",
        r"\bpalm\s+(?:olein|oil)\b|\boleina\s+de\s+palma\b|\baceite\s+de\s+palma\b",
        "A fat from palm fruit used to match the palmitic acid in breast milk; in formulas it can slightly lower "
        "calcium absorption and firm up stools.",
        "Una grasa del fruto de la palma que imita el ácido palmítico de la leche materna; en fórmulas puede reducir "
        "un poco la absorción de calcio y endurecer las heces.",
    ),
    _e(
        "vegetable_oils",
        r"\b(?:high\s+oleic\s+)?(?:safflower|sunflower|coconut|soy|soybean|canola|rapeseed|corn)\s+oils?\b"
        r"|\bvegetable\s+oils?\b|\baceites?\s+vegetal(?:es)?\b",
        "Vegetable oils that supply the fats and essential fatty acids babies need.",
        "Aceites vegetales que aportan las grasas y ácidos grasos esenciales que necesitan los bebés.",
    ),
    _e(
        "mct",
        r"\bmedium[\s-]chain\s+triglycerides\b|\bmct\s+oil\b",
        "Medium-chain triglycerides, fats that are easy to absorb, used in formulas for babies with digestion "
        "problems.",
        "Triglicéridos de cadena media, grasas fáciles de absorber, usadas en fórmulas para bebés con problemas "
        "digestivos.",
    ),
    _e(
        "dha",
        r"\bdha\b|\bdocosahexaenoic\b|\bc\.?\s*cohnii\b|\bcrypthecodinium\b|\bschizochytrium\b|\balgal\s+oil\b",
        "DHA, an omega-3 fat in breast milk that helps build the brain and eyes; formulas usually get it from algae "
        "oil.",
        "DHA, una grasa omega-3 de la leche materna que ayuda al desarrollo del cerebro y los ojos; las fórmulas "
        "suelen obtenerla de aceite de algas.",
    ),
    _e(
        "ara",
        r"\bara\b|\barachidonic\b|\bm\.?\s*alpina\b|\bmortierella\b",
        "ARA, an omega-6 fat in breast milk, usually added from a fungal oil (Mortierella alpina) together with DHA.",
        "ARA, una grasa omega-6 de la leche materna, que se añade junto al DHA a partir de un aceite de hongo "
        "(Mortierella alpina).",
    ),
    # --- prebiotics and probiotics ---
    _e(
        "hmo",
        r"\b2'?-?\s*fl\b|\b2'?-?\s*fucosyllactose\b|\blnnt\b|\blacto-?n-?neotetraose\b"
        r"|\bhuman\s+milk\s+oligosaccharides?\b|\bhmos?\b",
        "A human milk oligosaccharide: a sugar found in breast milk that feeds helpful gut bacteria, made for formulas "
        "without using human milk.",
        "Un oligosacárido de la leche materna: un azúcar que alimenta bacterias intestinales beneficiosas, fabricado "
        "para las fórmulas sin usar leche humana.",
    ),
    _e(
        "prebiotic_fibre",
        r"\bgalacto-?oligosaccharides?\b|\bgos\b|\bfructo-?oligosaccharides?\b|\bfos\b|\bpolydextrose\b"
        r"|\binulin[ae]?\b",
        "A prebiotic fibre that feeds helpful gut bacteria and can soften stools.",
        "Una fibra prebiótica que alimenta bacterias intestinales beneficiosas y puede ablandar las heces.",
    ),
    _e(
        "probiotic",
        r"\bprobiotics?\b|\bbifidobacterium\b|\bb\.\s*(?:infantis|lactis)\b|\blactobacillus\b|\blacticaseibacillus\b"
        r"|\blimosilactobacillus\b|\bl\.\s*(?:reuteri|rhamnosus)\b",
        "Live bacteria intended to support gut health; ask your pediatrician before giving probiotics to a premature "
        "or ill baby.",
        "Bacterias vivas pensadas para la salud intestinal; consulte al pediatra antes de darlas a un bebé prematuro o "
        "enfermo.",
    ),
    # --- added nutrients ---
    _e(
        "nucleotides",
        r"\bnucleotides?\b|\b(?:cytidine|uridine|adenosine|guanosine|inosine)\s+5'?-?\s*monophosphate\b",
        "Building blocks found in breast milk, added to most formulas to bring them closer to it.",
        "Componentes presentes en la leche materna que se añaden a casi todas las fórmulas para acercarlas a ella.",
    ),
    _e(
        "lutein",
        r"\blutein[ae]?\b",
        "A carotenoid from breast milk that collects in the eye; added to some formulas.",
        "Un carotenoide de la leche materna que se concentra en el ojo; se añade a algunas fórmulas.",
    ),
    _e(
        "iron",
        r"\bferrous\s+(?:sulfate|sulphate|fumarate|gluconate)\b|\biron\b|\bsulfato\s+ferroso\b|\bhierro\b",
        "Iron, needed for healthy blood and brain development; US infant formulas labelled 'with iron' contain it.",
        "Hierro, necesario para la sangre y el desarrollo del cerebro; las fórmulas 'con hierro' lo contienen.",
    ),
    _e(
        "vitamin_d",
        r"\bvitamin\s+d3?\b|\bcholecalciferol\b|\bvitamina\s+d\b",
        "Vitamin D, for strong bones; breastfed babies usually need a vitamin D supplement.",
        "Vitamina D, para huesos fuertes; los bebés amamantados suelen necesitar un suplemento de vitamina D.",
    ),
    _e(
        "vitamin_a",
        r"\bvitamin\s+a\b|\bretinyl\s+palmitate\b|\bbeta[\s-]carotene\b|\bvitamina\s+a\b",
        "Vitamin A, or a form the body turns into it, for vision and immunity.",
        "Vitamina A, o una forma que el cuerpo convierte en ella, para la vista y las defensas.",
    ),
    _e(
        "folate",
        r"\bfol(?:ic\s+acid|ate)\b|\bacido\s+folico\b",
        "Folate, a B vitamin needed for cell growth.",
        "Folato, una vitamina B necesaria para el crecimiento de las células.",
    ),
    _e(
        "mineral_salts",
        r"\bcalcium\s+(?:carbonate|phosphate|citrate)\b|\btricalcium\s+phosphate\b"
        r"|\bpotassium\s+(?:citrate|chloride|phosphate|iodide)\b"
        r"|\bmagnesium\s+(?:chloride|phosphate|oxide|citrate)\b|\bsodium\s+(?:citrate|chloride|selenate|selenite)\b"
        r"|\b(?:zinc|cupric|manganese)\s+sulfate\b",
        "A mineral salt that supplies a nutrient babies need, such as calcium, potassium, magnesium or zinc.",
        "Una sal mineral que aporta un nutriente que necesitan los bebés, como calcio, potasio, magnesio o zinc.",
    ),
    _e(
        "added_nutrients",
        r"\bcholine\b|\binositol\b|\btaurine\b|\bl-carnitine\b|\bcarnitine\b",
        "A nutrient found in breast milk that formulas add.",
        "Un nutriente de la leche materna que se añade a las fórmulas.",
    ),
    # --- sugars and sweeteners ---
    _e(
        "honey",
        r"\bhoney\b|\bmiel\b",
        "Honey can carry spores that cause infant botulism: never give it to a baby under 12 months.",
        "La miel puede contener esporas que causan botulismo infantil: nunca la dé a un bebé menor de 12 meses.",
        caution=True,
        citation=CDC_HONEY,
    ),
    _e(
        "added_sugar",
        r"\bsucrose\b|\b(?:cane|brown|coconut|organic)\s+sugar\b|^sugar$|\bsugar\b(?!\s+alcohol)|\bazucar\b"
        r"|\bagave\b|\bbrown\s+rice\s+syrup\b|\bcorn\s+syrup\b(?!\s+solids)",
        "An added sugar; US dietary guidelines advise no added sugars for children younger than 2.",
        "Un azúcar añadido; las guías alimentarias de EE. UU. aconsejan no dar azúcares añadidos a menores de 2 años.",
        caution=True,
        citation=DGA_ADDED_SUGAR,
    ),
    _e(
        "non_nutritive_sweetener",
        r"\bsucralose\b|\baspartame\b|\bacesulfame(?:\s+k|\s+potassium)?\b|\bsteviol\s+glycosides\b|\bstevia\b"
        r"|\bmonk\s*fruit\b|\berythritol\b",
        "A low- or no-calorie sweetener; there is little research on its use in young children.",
        "Un edulcorante bajo o sin calorías; hay poca investigación sobre su uso en niños pequeños.",
    ),
    # --- preservatives ---
    _e(
        "phenoxyethanol",
        r"\bphenoxyethanol\b|\bfenoxietanol\b",
        "A common cosmetic preservative, allowed in the EU up to 1%; it can irritate very sensitive skin.",
        "Un conservante cosmético común, permitido en la UE hasta el 1%; puede irritar la piel muy sensible.",
    ),
    _e(
        "long_chain_paraben",
        r"\b(?:propyl|butyl|isopropyl|isobutyl)\s*paraben\b|\b(?:propil|butil)parabeno\b",
        "A paraben preservative; the EU bans propyl- and butylparaben in leave-on products for the nappy area of "
        "children under 3.",
        "Un conservante parabeno; la UE prohíbe el propil- y butilparabeno en productos sin aclarado para la zona del "
        "pañal en menores de 3 años.",
        caution=True,
        citation=EU_PARABENS,
    ),
    _e(
        "short_chain_paraben",
        r"\b(?:methyl|ethyl)\s*paraben\b|\b(?:metil|etil)parabeno\b",
        "A paraben preservative considered safe at the levels cosmetics rules allow.",
        "Un conservante parabeno considerado seguro en los niveles que permiten las normas cosméticas.",
    ),
    _e(
        "methylisothiazolinone",
        r"\bmethylisothiazolinone\b|\bmethylchloroisothiazolinone\b|\bmit\b",
        "A preservative that often causes skin allergy; the EU bans it in leave-on cosmetics.",
        "Un conservante que causa alergia cutánea con frecuencia; la UE lo prohíbe en cosméticos sin aclarado.",
        caution=True,
        citation=EU_MIT,
    ),
    _e(
        "food_preservative",
        r"\bsodium\s+benzoate\b|\bpotassium\s+sorbate\b|\bsorbic\s+acid\b|\bbenzoato\s+de\s+sodio\b"
        r"|\bsorbato\s+de\s+potasio\b",
        "A common preservative that stops mould and yeast.",
        "Un conservante común que evita el moho y las levaduras.",
    ),
    _e(
        "ethylhexylglycerin",
        r"\bethylhexylglycerin\b",
        "A skin conditioner that helps preservatives work.",
        "Un acondicionador de la piel que ayuda a los conservantes.",
    ),
    _e(
        "fragrance",
        r"\bfragrance\b|\bparfum\b|\bperfume\b|\bfragancia\b",
        "An undisclosed mix of scent chemicals and a common cause of skin allergy; fragrance-free products are usually "
        "advised for babies.",
        "Una mezcla de sustancias aromáticas sin detallar y causa frecuente de alergia en la piel; para bebés se "
        "suelen aconsejar productos sin perfume.",
        caution=True,
    ),
    # --- skin-care bases ---
    _e(
        "glycerin",
        r"\bglycerin[e]?\b|\bglycerol\b|\bglicerina\b",
        "A moisturiser that draws water into the skin.",
        "Un hidratante que atrae agua a la piel.",
    ),
    _e(
        "petrolatum",
        r"\bpetrolatum\b|\bpetroleum\s+jelly\b|\bvaselina\b",
        "Petroleum jelly: seals in moisture and protects skin, the base of many nappy ointments.",
        "Vaselina: retiene la humedad y protege la piel; es la base de muchas pomadas para el pañal.",
    ),
    _e(
        "mineral_oil",
        r"\bmineral\s+oil\b|\bparaffinum\s+liquidum\b|\baceite\s+mineral\b",
        "A purified oil that keeps skin from losing water.",
        "Un aceite purificado que evita que la piel pierda agua.",
    ),
    _e(
        "dimethicone",
        r"\bdimethicone\b|\bdimeticona\b",
        "A silicone that forms a smooth protective layer on the skin.",
        "Una silicona que forma una capa protectora y suave sobre la piel.",
    ),
    _e(
        "zinc_oxide",
        r"\bzinc\s+oxide\b|\boxido\s+de\s+zinc\b",
        "A mineral that forms a barrier against wetness in nappy creams; also a mineral sunscreen filter.",
        "Un mineral que forma una barrera contra la humedad en cremas para el pañal; también es un filtro solar "
        "mineral.",
    ),
    _e(
        "titanium_dioxide",
        r"\btitanium\s+dioxide\b|\bdioxido\s+de\s+titanio\b",
        "A mineral sunscreen filter.",
        "Un filtro solar mineral.",
    ),
    _e(
        "lanolin",
        r"\blanolin[ae]?\b",
        "Wool fat, a rich moisturiser used for sore nipples and dry skin.",
        "Grasa de lana, un hidratante denso para pezones irritados y piel seca.",
    ),
    _e(
        "shea_butter",
        r"\bshea\b|\bbutyrospermum\b|\bkarite\b",
        "A plant butter that softens and moisturises skin.",
        "Una manteca vegetal que suaviza e hidrata la piel.",
    ),
    _e(
        "colloidal_oatmeal",
        r"\bcolloidal\s+oat(?:meal)?\b|\bavena\s+coloidal\b",
        "Finely ground oats that soothe itchy, dry skin; an FDA-recognised skin protectant.",
        "Avena molida muy fina que calma la piel seca y con picor; un protector cutáneo reconocido por la FDA.",
    ),
    _e(
        "aloe",
        r"\baloe\b",
        "Aloe vera gel, used to soothe and moisturise skin.",
        "Gel de aloe vera, usado para calmar e hidratar la piel.",
    ),
    _e(
        "harsh_surfactant",
        r"\bsodium\s+laur(?:yl|eth)\s+sulfate\b|\bsls\b|\bsles\b",
        "A strong foaming cleanser that can dry or irritate a baby's skin.",
        "Un limpiador espumante fuerte que puede resecar o irritar la piel del bebé.",
        caution=True,
    ),
    _e(
        "mild_surfactant",
        r"\bcocamidopropyl\s+betaine\b|\bcoco[\s-]?glucoside\b|\bdecyl\s+glucoside\b|\blauryl\s+glucoside\b",
        "A mild cleanser made from plant oils, common in baby washes.",
        "Un limpiador suave hecho de aceites vegetales, común en geles para bebé.",
    ),
    # --- food additives and grains ---
    _e(
        "lecithin",
        r"\blecithin\b|\blecitina\b",
        "An emulsifier that keeps oil and water mixed; soy lecithin comes from soybeans, sunflower lecithin from "
        "sunflower seeds.",
        "Un emulsionante que mantiene mezclados el aceite y el agua; la lecitina de soya viene de la soya y la de "
        "girasol, de sus semillas.",
    ),
    _e(
        "gums",
        r"\b(?:xanthan|guar|gellan|locust\s+bean|acacia)\s+gum\b|\bgoma\s+(?:xantana|guar|gellan)\b",
        "A plant- or fermentation-derived thickener used in small amounts.",
        "Un espesante de origen vegetal o de fermentación usado en pequeñas cantidades.",
    ),
    _e(
        "carrageenan",
        r"\bcarrageenan\b|\bcarragenina\b",
        "A seaweed-derived thickener that keeps liquid formulas and foods mixed.",
        "Un espesante derivado de algas que mantiene mezcladas las fórmulas líquidas y los alimentos.",
    ),
    _e(
        "rice",
        r"\brice\s+(?:flour|cereal|starch)\b|\bbrown\s+rice\b|\bwhole\s+grain\s+rice\b|\bharina\s+de\s+arroz\b",
        "Rice; it takes up more arsenic than other grains, so vary your baby's grains (the FDA limits inorganic "
        "arsenic in infant rice cereal to 100 ppb).",
        "Arroz; absorbe más arsénico que otros cereales, así que varíe los cereales del bebé (la FDA limita el "
        "arsénico inorgánico en cereal de arroz infantil a 100 ppb).",
        citation=FDA_RICE_ARSENIC,
    ),
    _e("oats", r"\boats?\b|\boat\s+flour\b|\bavena\b", "Oats, a whole grain.", "Avena, un cereal integral."),
    _e(
        "vitamin_c",
        r"\bascorbic\s+acid\b|\bvitamin\s+c\b|\bascorbyl\s+palmitate\b|\bacido\s+ascorbico\b",
        "Vitamin C, also used to keep foods and oils fresh.",
        "Vitamina C, también usada para conservar alimentos y aceites.",
    ),
    _e(
        "vitamin_e",
        r"\btocopherols?\b|\btocopheryl\s+acetate\b|\bvitamin\s+e\b",
        "Vitamin E, also used to keep oils from going rancid.",
        "Vitamina E, también usada para que los aceites no se enrancien.",
    ),
    _e(
        "citric_acid",
        r"\bcitric\s+acid\b|\bacido\s+citrico\b",
        "An acid from citrus fruit, used for tartness and freshness.",
        "Un ácido de los cítricos, usado para dar acidez y conservar.",
    ),
    _e("water", r"^(?:water|aqua|agua|purified\s+water)$", "Water.", "Agua."),
)


def explain(ingredient: str) -> tuple[Entry, ...]:
    """The glossary entries that describe `ingredient` (empty when none does)."""
    folded = fold(ingredient)
    return tuple(entry for entry in GLOSSARY if entry.pattern.search(folded))
