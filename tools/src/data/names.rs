//! Realistic people: first names, surnames and mobile numbers from fifteen countries.
//!
//! The lists are the project's own (common names per country, with their accents: Åsa, Öberg,
//! José, Łukasz, Yılmaz); a person is a first name and surname of one country, sometimes with a
//! middle initial, and a mobile number in that country's E.164 form, which is exactly the form
//! the service stores. All choices come from the caller's [`Rng`], so a seed fixes the people.

use crate::data::rng::Rng;

/// One country's names and mobile numbering.
struct Country {
    /// E.164 country calling code, with the `+`.
    code: &'static str,
    /// Mobile prefixes after the country code (comma-separated).
    prefixes: &'static str,
    /// Random digits after the prefix.
    digits: usize,
    first: &'static str,
    last: &'static str,
}

/// Middle initials used (letters that start common given names in most of these countries).
const INITIALS: &str = "ABCDEFGHIJKLMNOPRSTV";

/// One in this many people gets a middle initial.
const INITIAL_ONE_IN: u64 = 4;

const COUNTRIES: [Country; 15] = [
    Country {
        code: "+358",
        prefixes: "40,41,44,45,50",
        digits: 7,
        first: "Aino,Eino,Elias,Emilia,Helmi,Juho,Kaisa,Lauri,Leevi,Marjatta,Matti,Mikko,Onni,\
                Päivi,Sanna,Tuomas,Väinö,Aleksi,Sirkka,Jyrki",
        last: "Virtanen,Korhonen,Mäkinen,Nieminen,Mäkelä,Hämäläinen,Laine,Heikkinen,Koskinen,\
               Järvinen,Lehtonen,Lehtinen,Saarinen,Salminen,Heinonen,Niemi,Heikkilä,Kinnunen,\
               Salonen,Turunen",
    },
    Country {
        code: "+46",
        prefixes: "70,72,73,76,79",
        digits: 7,
        first: "Åsa,Anders,Astrid,Björn,Elsa,Erik,Gunnar,Ingrid,Johan,Karin,Lars,Linnéa,Magnus,\
                Märta,Nils,Oskar,Sigrid,Stina,Torbjörn,Ylva",
        last: "Andersson,Johansson,Karlsson,Nilsson,Eriksson,Larsson,Olsson,Persson,Svensson,\
               Gustafsson,Lindström,Öberg,Åberg,Lindqvist,Sjöberg,Bergström,Holmgren,Ekström,\
               Håkansson,Strömberg",
    },
    Country {
        code: "+34",
        prefixes: "6,7",
        digits: 8,
        first: "José,María,Antonio,Carmen,Manuel,Lucía,Javier,Pilar,Álvaro,Inés,Sergio,Rocío,\
                Raúl,Begoña,Íñigo,Nuria,Andrés,Elena,Jesús,Marta",
        last: "García,Fernández,González,Rodríguez,López,Martínez,Sánchez,Pérez,Gómez,Martín,\
               Jiménez,Ruiz,Hernández,Díaz,Moreno,Muñoz,Álvarez,Romero,Alonso,Gutiérrez",
    },
    Country {
        code: "+49",
        prefixes: "151,152,160,170,176",
        digits: 8,
        first: "Jürgen,Anna,Lukas,Sophie,Maximilian,Hannah,Felix,Lena,Jonas,Marie,Paul,Greta,\
                Günter,Jörg,Ursula,Dieter,Sabine,Matthias,Käthe,Tobias",
        last: "Müller,Schmidt,Schneider,Fischer,Weber,Meyer,Wagner,Becker,Schulz,Hoffmann,\
               Schäfer,Koch,Bauer,Richter,Klein,Wolf,Schröder,Neumann,Schwarz,Zimmermann",
    },
    Country {
        code: "+44",
        prefixes: "7",
        digits: 9,
        first: "Oliver,Amelia,George,Isla,Harry,Olivia,Jack,Emily,Charlotte,Thomas,Siobhan,\
                Callum,Eilidh,Rhys,Niamh,Alfie,Freya,Dylan,Imogen,William",
        last: "Smith,Jones,Taylor,Brown,Williams,Wilson,Johnson,Davies,Robinson,Wright,Thompson,\
               Evans,Walker,White,Roberts,Green,Hall,Wood,O'Brien,MacDonald",
    },
    Country {
        code: "+1",
        prefixes: "212,312,415,617,206",
        digits: 7,
        first: "James,Mary,Michael,Patricia,Robert,Jennifer,David,Linda,John,Elizabeth,Tyler,\
                Ashley,Brandon,Madison,Jamal,Keisha,Zoë,Dakota,Chloe,Ethan",
        last: "Miller,Davis,Moore,Anderson,Jackson,Harris,Clark,Lewis,Young,Allen,King,Scott,\
               Baker,Adams,Nelson,Hill,Campbell,Mitchell,Carter,Washington",
    },
    Country {
        code: "+33",
        prefixes: "6,7",
        digits: 8,
        first: "François,Amélie,Jean,Élodie,Pierre,Chloé,Louis,Manon,Hélène,Théo,Camille,Gaëlle,\
                Julien,Léa,Mathieu,Océane,Noël,Céline,Jérôme,Maëlle",
        last: "Martin,Bernard,Dubois,Thomas,Robert,Richard,Petit,Durand,Leroy,Moreau,Simon,\
               Laurent,Lefèvre,Michel,Garnier,Faure,Rousseau,Lambert,Fontaine,Girard",
    },
    Country {
        code: "+39",
        prefixes: "3",
        digits: 9,
        first: "Giuseppe,Giovanni,Francesca,Giulia,Alessandro,Chiara,Lorenzo,Federica,Matteo,\
                Sara,Niccolò,Elisa,Davide,Martina,Andrea,Valentina,Riccardo,Alessia,Tommaso,\
                Beatrice",
        last: "Rossi,Russo,Ferrari,Esposito,Bianchi,Romano,Colombo,Ricci,Marino,Greco,Bruno,\
               Gallo,Conti,De Luca,Mancini,Costa,Giordano,Rizzo,Lombardi,Moretti",
    },
    Country {
        code: "+48",
        prefixes: "50,51,60,69,72",
        digits: 7,
        first: "Łukasz,Małgorzata,Krzysztof,Agnieszka,Piotr,Katarzyna,Tomasz,Magdalena,Paweł,\
                Joanna,Michał,Zofia,Jakub,Weronika,Grzegorz,Dorota,Wojciech,Ewa,Bartłomiej,\
                Żaneta",
        last: "Nowak,Kowalski,Wiśniewski,Wójcik,Kowalczyk,Kamiński,Lewandowski,Zieliński,\
               Szymański,Woźniak,Dąbrowski,Kozłowski,Jankowski,Mazur,Kwiatkowski,Krawczyk,\
               Piotrowski,Grabowski,Nowakowski,Pawłowski",
    },
    Country {
        code: "+81",
        prefixes: "70,80,90",
        digits: 8,
        first: "Haruto,Yui,Sōta,Aoi,Yuto,Hina,Ren,Sakura,Takumi,Yūki,Kaito,Mei,Hiroshi,Akiko,\
                Kenji,Yoko,Daiki,Rina,Shō,Emi",
        last: "Satō,Suzuki,Takahashi,Tanaka,Watanabe,Itō,Yamamoto,Nakamura,Kobayashi,Katō,\
               Yoshida,Yamada,Sasaki,Yamaguchi,Matsumoto,Inoue,Kimura,Hayashi,Shimizu,Saitō",
    },
    Country {
        code: "+55",
        prefixes: "119,219,319",
        digits: 8,
        first: "João,Ana,Gabriel,Júlia,Lucas,Beatriz,Matheus,Letícia,Rafael,Larissa,Guilherme,\
                Camila,Thiago,Fernanda,Vinícius,Luana,Caio,Mariana,Conceição,Sebastião",
        last: "Silva,Santos,Oliveira,Souza,Rodrigues,Ferreira,Alves,Pereira,Lima,Gomes,Costa,\
               Ribeiro,Martins,Carvalho,Araújo,Melo,Barbosa,Cardoso,Nascimento,Magalhães",
    },
    Country {
        code: "+90",
        prefixes: "53,54,55",
        digits: 8,
        first: "Mehmet,Ayşe,Mustafa,Fatma,Ahmet,Emine,Ali,Hatice,Hüseyin,Zeynep,Murat,Elif,Ömer,\
                Özlem,İbrahim,Gülşen,Can,Şule,Barış,Çağla",
        last: "Yılmaz,Kaya,Demir,Şahin,Çelik,Yıldız,Yıldırım,Öztürk,Aydın,Özdemir,Arslan,Doğan,\
               Kılıç,Aslan,Çetin,Kara,Koç,Kurt,Özkan,Şimşek",
    },
    Country {
        code: "+234",
        prefixes: "803,806,813,816",
        digits: 7,
        first: "Chinedu,Ngozi,Oluwaseun,Adaeze,Emeka,Funmilayo,Tunde,Chiamaka,Ifeanyi,Yetunde,\
                Babajide,Amaka,Obinna,Folake,Uchenna,Bisola,Kelechi,Nkechi,Adebayo,Zainab",
        last: "Okafor,Adeyemi,Okonkwo,Balogun,Eze,Ogunleye,Nwosu,Ogundipe,Chukwu,Olawale,Obi,\
               Afolabi,Nwachukwu,Bello,Uzor,Ibrahim,Okeke,Adewale,Oyelaran,Onwuachi",
    },
    Country {
        code: "+91",
        prefixes: "98,99,97,90",
        digits: 8,
        first: "Aarav,Ananya,Vivaan,Diya,Arjun,Priya,Rohan,Kavya,Rahul,Sneha,Vikram,Lakshmi,\
                Aditya,Pooja,Karthik,Meera,Sanjay,Divya,Ishaan,Neha",
        last: "Sharma,Patel,Singh,Kumar,Gupta,Reddy,Nair,Iyer,Menon,Rao,Joshi,Mehta,Desai,\
               Chatterjee,Banerjee,Mukherjee,Pillai,Verma,Agarwal,Kapoor",
    },
    Country {
        code: "+47",
        prefixes: "4,9",
        digits: 7,
        first: "Bjørn,Øystein,Ingeborg,Solveig,Håkon,Sigurd,Ragnhild,Kari,Ola,Eirik,Tore,Marit,\
                Liv,Knut,Åse,Trond,Sølvi,Halvor,Signe,Gro",
        last: "Hansen,Johansen,Olsen,Larsen,Andersen,Pedersen,Nilsen,Kristiansen,Jensen,Karlsen,\
               Berg,Haugen,Hagen,Johannessen,Bakken,Solberg,Dahl,Lunde,Strand,Sæther",
    },
];

/// A generated person: a name and a mobile number of the same country.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub name: String,
    pub number: String,
}

/// How many distinct names [`person`] can produce.
pub fn distinct_names() -> usize {
    let pairs: usize = COUNTRIES
        .iter()
        .map(|c| list(c.first).len() * list(c.last).len())
        .sum();
    pairs * (1 + INITIALS.len())
}

/// Draws one person (names may repeat across calls; the caller keeps them unique).
pub fn person(rng: &mut Rng) -> Person {
    let country = rng.pick(&COUNTRIES);
    let first = *rng.pick(&list(country.first));
    let last = *rng.pick(&list(country.last));
    let name = if rng.below(INITIAL_ONE_IN) == 0 {
        let initial = INITIALS.as_bytes()[rng.index(INITIALS.len())] as char;
        format!("{first} {initial}. {last}")
    } else {
        format!("{first} {last}")
    };
    let prefix = *rng.pick(&list(country.prefixes));
    Person {
        name,
        number: format!("{}{prefix}{}", country.code, digits(rng, country.digits)),
    }
}

/// `count` random decimal digits.
pub fn digits(rng: &mut Rng, count: usize) -> String {
    (0..count)
        .map(|_| char::from(b'0' + rng.below(10) as u8))
        .collect()
}

/// Splits a comma-separated list (the lists are written this way to stay compact).
fn list(text: &'static str) -> Vec<&'static str> {
    text.split(',').map(str::trim).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use phonebook::contact::Contact;
    use std::collections::HashSet;

    #[test]
    fn lists_have_no_duplicates_and_every_person_is_valid() {
        for country in &COUNTRIES {
            for names in [country.first, country.last] {
                let items = list(names);
                let unique: HashSet<_> = items.iter().collect();
                assert_eq!(unique.len(), items.len(), "duplicate in {names}");
                assert!(items.iter().all(|n| !n.is_empty()));
            }
        }
        let mut rng = Rng::new(9);
        for _ in 0..5_000 {
            let p = person(&mut rng);
            let parsed = Contact::parse(&p.name, &p.number).unwrap();
            assert_eq!((parsed.name, parsed.number), (p.name, p.number));
        }
        assert_eq!(distinct_names(), 15 * 20 * 20 * 21);
    }
}
