"""Welsh (Cymraeg) of formulation/trm_data.py: the Trauma Recovery Model frameworks.

Model Adfer ar ôl Trawma (TRM). WELSH maps (code, version) of each framework in FRAMEWORKS to
the Welsh of its name, source and description, and each stage number to the Welsh of that
stage's name, presentation, underlying_need and interventions. Terms follow docs/glossary-cy.md
(tîm troseddau ieuenctid (TTI), Bwrdd Cyfiawnder Ieuenctid (BCI), cyflwyniad, angen sylfaenol).
Titles of English publications are kept in English.

Status: DRAFT, machine-assisted, not yet reviewed by a fluent Welsh speaker.
"""

WELSH = {
    ("practice-stages", 1): {
        "name": "Camau ymarfer TRM (canllawiau ymarfer a thaflen BCI)",
        "source": (
            "Taflen BCI Cymru 'Our approach to complex cases' (camau TRM); canllawiau ymarfer ECM "
            "BCI, Atodiadau 4 a 5; manylion o werthusiad Cordis Bright, paragraffau 1.17-1.23"
        ),
        "description": (
            "Y chwe cham a ddefnyddir yn ymarfer timau troseddau ieuenctid (TTI), fel y'u henwir "
            "yn nhaflen BCI Cymru ac y rhoddir sgôr 1-6 iddynt yn nhempled adolygu ECM. Rhaid i "
            "blentyn symud drwy'r camau cynharach, sy'n meithrin strwythur, ymddiriedaeth a "
            "diogelwch, cyn y bydd gwaith sy'n herio ymddygiad troseddol yn helpu; nid yw'r symud "
            "yn llinol ac nid yw'r camau'n fesur canlyniadau."
        ),
        "stages": {
            1: {
                "name": "Dod i arfer â strwythur, ffiniau a threfn reolaidd",
                "presentation": (
                    "Mae bywyd yn anhrefnus, heb y strwythur a'r drefn sydd ar goll gartref yn "
                    "aml. Gall y plentyn ymddwyn yn ymosodol, gwrthod help a'i chael yn anodd "
                    "ymgysylltu â gweithwyr proffesiynol am fod perthnasoedd yn anodd iddo."
                ),
                "underlying_need": (
                    "Anghenion ffisiolegol a diogelwch sylfaenol: llety diogel, prydau bwyd ac "
                    "amser gwely rheolaidd, hylendid personol, trefn addysgol, a ffiniau a "
                    "disgwyliadau cyson o ran ymddygiad."
                ),
                "interventions": (
                    "Cyflwyno'r strwythur a'r drefn sy'n aml yn brin gartref a helpu i'w sefydlu "
                    "ym mywyd bob dydd. Delio'n gyntaf â phroblemau uniongyrchol a dybryd sy'n "
                    "rhwystro'r plentyn rhag ymgysylltu â gwaith arall."
                ),
            },
            2: {
                "name": "Meithrin perthynas gadarnhaol sy'n seiliedig ar ymddiriedaeth",
                "presentation": (
                    "Nid yw plant a gafodd niwed i'w datblygiad cynnar wedi dysgu ymddiried; gall "
                    "y plentyn roi'r gweithiwr ar brawf drwy ddicter a gwrthod cyn i "
                    "ymddiriedaeth gael ei meithrin."
                ),
                "underlying_need": (
                    "Cysondeb oedolyn diogel a dibynadwy y gellir ymddiried ynddo, fel y gall y "
                    "plentyn adennill tir a gollwyd a phrofi'r TTI fel sylfaen ddiogel."
                ),
                "interventions": (
                    "Meithrin ymddiriedaeth drwy ddibynadwyedd yr ymarferydd, gan gynnal y "
                    "berthynas wrth ymdrin â dicter a gwrthod; mae hyn yn cymryd cyhyd ag sydd ei "
                    "angen. Mae gweithgareddau ar y cyd, hwyl, canmoliaeth ac adborth cadarnhaol "
                    "yn helpu, yn hytrach na sesiynau sy'n canolbwyntio ar droseddu."
                ),
            },
            3: {
                "name": "Trafod materion anodd gyda'n gilydd",
                "presentation": (
                    "Unwaith y bydd perthynas ddiogel sy'n seiliedig ar ymddiriedaeth wedi'i "
                    "meithrin a'i phrofi, mae'r plentyn yn dechrau siarad am y problemau sydd "
                    "wrth wraidd ei ymddygiad a gall ddatgelu trawma presennol neu yn y "
                    "gorffennol, fel profedigaeth, cam-drin, esgeulustod, camfanteisio neu drais "
                    "domestig."
                ),
                "underlying_need": (
                    "Teimlo'n ddigon diogel i feddwl am yr hyn sydd wedi digwydd iddo a'i roi "
                    "mewn geiriau, ac i weithio drwy brofiadau trawmatig a cholledion."
                ),
                "interventions": (
                    "Mewnbwn therapiwtig gan ymarferwyr ac arbenigwyr eraill: siarad yn fwy manwl "
                    "ac ailedrych yn sensitif ar brofiadau bywyd anodd, gydag atgyfeiriad at "
                    "wasanaethau therapiwtig arbenigol lle bo angen."
                ),
            },
            4: {
                "name": "Datblygu mewnwelediad ac ymwybyddiaeth",
                "presentation": (
                    "Mae'r plentyn yn datblygu hunanymwybyddiaeth, yn cael mewnwelediad i sut mae "
                    "ei ymddygiad yn effeithio ar eraill ac yn dechrau sylweddoli'r niwed y mae "
                    "wedi'i wneud."
                ),
                "underlying_need": (
                    "Deall ei sefyllfa a'i ymddygiad presennol a mynd i'r afael ag effaith a "
                    "goblygiadau ei droseddu."
                ),
                "interventions": (
                    "Gwaith sy'n canolbwyntio ar droseddu, ar feddwl am ganlyniadau, empathi a "
                    "dulliau adferol. Mae therapïau siarad fel gwaith gwybyddol ymddygiadol a "
                    "rheoli dicter yn addas nawr; o'u defnyddio'n gynharach, gallant niweidio "
                    "hunanwerth y plentyn."
                ),
            },
            5: {
                "name": "Cynllunio ar gyfer newid",
                "presentation": (
                    "Mae hunanymwybyddiaeth yn rhoi llwyfan i'r plentyn gynllunio newid yn ei "
                    "ymddygiad ei hun; mae'n dangos mwy o hunangred ac yn derbyn ei alluoedd a'i "
                    "botensial yn well."
                ),
                "underlying_need": (
                    "Llawer iawn o gymorth parhaus i droi'r hunangred honno'n newid parhaol."
                ),
                "interventions": (
                    "Gosod nodau dan arweiniad, cymorth i fynd i addysg, a dull wedi'i sgaffaldio "
                    "o strwythuro amser rhydd a byw yn y gymuned, er mwyn cynyddu i'r eithaf y "
                    "siawns o lwyddiant parhaol."
                ),
            },
            6: {
                "name": "Symud ymlaen",
                "presentation": (
                    "Mae'r plentyn yn symud ymlaen o droseddu ac yn gallu byw bywyd iach ac "
                    "annibynnol yn y gymuned heb fawr ddim cymorth ychwanegol, neu heb ddim o "
                    "gwbl."
                ),
                "underlying_need": (
                    "I'r berthynas o ymddiriedaeth, y cymorth a'r arweiniad barhau, gan leihau "
                    "dros amser, fel bod y cynnydd yn cael ei gadw wrth i'r plentyn ddod yn "
                    "hunanbenderfynol."
                ),
                "interventions": (
                    "Lleihau'r cymorth yn raddol a chynllunio diwedd y gwaith ac unrhyw gyfnodau "
                    "pontio gyda'r plentyn, yn barod i gynyddu'r cymorth eto os bydd bywyd yn "
                    "mynd yn ansefydlog a'r plentyn yn llithro'n ôl."
                ),
            },
        },
    },
    ("trm-2018", 1): {
        "name": "Model Adfer ar ôl Trawma (2018, saith lefel)",
        "source": (
            "Skuse a Matthew, fel y'u disgrifir yng ngwerthusiad Cordis Bright, paragraffau "
            "1.15-1.23 (Ffigur 3) a gwerthusiad ORS (adran TRM; Atodiad 3, diweddarwyd 2018)"
        ),
        "description": (
            "Saith lefel ddatblygiadol, yn seiliedig ar hierarchaeth anghenion Maslow, o sylfaen "
            "o gredu y gall y plentyn newid hyd at hunanbenderfyniad. Dim ond pan fydd anghenion "
            "y lefel islaw wedi'u diwallu y mae symud ymlaen i'r lefel nesaf yn digwydd; nid yw'r "
            "daith bob amser yn llinol ac nid yw'r model yn offeryn ar gyfer mesur canlyniadau."
        ),
        "stages": {
            1: {
                "name": "Sylfaen: credu y gall y plentyn newid",
                "presentation": (
                    "Mae'n berthnasol i bob plentyn, beth bynnag yw ei gyflwyniad: nid ymddygiad "
                    "y mae'r plentyn yn ei ddangos yw'r sylfaen, ond y sail y mae'r holl waith "
                    "arall yn dibynnu arni."
                ),
                "underlying_need": (
                    "Cael ei weld yn blentyn sy'n gallu newid: bod modd cefnogi'r plentyn i gael "
                    "bywyd gwell a chanlyniadau gwell."
                ),
                "interventions": (
                    "Mae'r staff yn gweithio o'r gred y gall y plentyn newid, gan drin troseddu "
                    "fel ymateb i drawma yn y gorffennol a gweithio'n sensitif, yn empathig a heb "
                    "gosbi."
                ),
            },
            2: {
                "name": "Strwythur a threfn",
                "presentation": (
                    "Nid yw anghenion ffisiolegol a diogelwch sylfaenol yn cael eu diwallu'n "
                    "ddibynadwy, ac nid oes gan fywyd bob dydd y strwythur a'r drefn sydd ar goll "
                    "gartref yn aml."
                ),
                "underlying_need": (
                    "Anghenion ffisiolegol a diogelwch sylfaenol, y mae'n rhaid eu diwallu cyn y "
                    "gall twf seicolegol iach ddigwydd."
                ),
                "interventions": (
                    "Cymorth i sefydlu strwythur a threfn ym mywyd bob dydd: llety diogel, prydau "
                    "bwyd rheolaidd, amser gwely rheolaidd, hylendid personol, trefn addysgol, a "
                    "ffiniau a disgwyliadau cyson o ran ymddygiad."
                ),
            },
            3: {
                "name": "Perthnasoedd",
                "presentation": (
                    "Wrth i'r anghenion sylfaenol ddechrau cael eu diwallu, mae'r plentyn yn dod "
                    "yn fwy parod ac yn fwy agored i berthnasoedd o ymddiriedaeth ag oedolion "
                    "priodol."
                ),
                "underlying_need": (
                    "Perthynas gref sy'n seiliedig ar ymddiriedaeth ag oedolyn cyson a phriodol."
                ),
                "interventions": (
                    "Mae'r staff yn gweithio gyda'r plentyn i feithrin perthnasoedd adeiladol, "
                    "gan sefydlu cysondeb; mae hyn yn cymryd cyhyd ag sydd ei angen."
                ),
            },
            4: {
                "name": "Trawma",
                "presentation": (
                    "Gyda pherthnasoedd gwaith cryf yn eu lle, mae'r plentyn yn dechrau "
                    "ymgysylltu â thrawma presennol neu hanesyddol a'i ddatgelu, fel profedigaeth "
                    "gymhleth, cam-drin, esgeulustod, camfanteisio neu drais domestig."
                ),
                "underlying_need": (
                    "Teimlo'n ddigon diogel, efallai am y tro cyntaf, i feddwl am yr hyn sydd "
                    "wedi digwydd iddo a'i fynegi, ac i weithio drwy brofiadau trawmatig a "
                    "cholledion."
                ),
                "interventions": (
                    "Cyfleoedd, weithiau dros gyfnod hir, i siarad yn fwy manwl ac ailedrych ar "
                    "brofiadau anodd; mae'r staff yn gweithio'n sensitif ac yn atgyfeirio at "
                    "ymyriadau therapiwtig arbenigol lle bo angen."
                ),
            },
            5: {
                "name": "Meddwl am ganlyniadau, empathi a gwaith adferol",
                "presentation": (
                    "Ar ôl gweithio drwy'r pedair lefel gyntaf, gall y plentyn ddechrau deall ei "
                    "sefyllfa a'i ymddygiad, meddwl am ganlyniadau, dangos empathi a myfyrio ar "
                    "ei ddewisiadau."
                ),
                "underlying_need": (
                    "Deall ei sefyllfa a'i ymddygiad presennol a mynd i'r afael ag effaith a "
                    "goblygiadau ei droseddau."
                ),
                "interventions": (
                    "Gwaith sy'n canolbwyntio ar droseddu, ar sgiliau meddwl am ganlyniadau, "
                    "empathi a dulliau adferol, wedi'i adeiladu ar y berthynas sy'n bodoli "
                    "eisoes."
                ),
            },
            6: {
                "name": "Hunangred",
                "presentation": (
                    "Mae gan y plentyn fwy o hunangred ac mae'n derbyn ei alluoedd a'i botensial "
                    "yn well."
                ),
                "underlying_need": (
                    "Llawer iawn o gymorth parhaus i gynyddu i'r eithaf y siawns o lwyddiant "
                    "parhaol."
                ),
                "interventions": (
                    "Gosod nodau dan arweiniad, cymorth i fynd i addysg, a dull wedi'i sgaffaldio "
                    "o strwythuro amser rhydd a byw yn y gymuned."
                ),
            },
            7: {
                "name": "Hunanbenderfyniad",
                "presentation": (
                    "Mae'r plentyn yn cyrraedd hunanbenderfyniad ac yn byw bywyd iach, annibynnol "
                    "a chadarnhaol yn y gymuned heb fawr ddim cymorth ychwanegol, neu heb ddim o "
                    "gwbl."
                ),
                "underlying_need": (
                    "Cadw'r cynnydd a wnaed wrth i'r cymorth proffesiynol leihau, gyda help ar "
                    "gael eto os bydd bywyd yn mynd yn ansefydlog a'r plentyn yn llithro'n ôl."
                ),
                "interventions": (
                    "Mae'r cymorth yn cael ei leihau i lefel isel neu i ddim; cynllunio diwedd y "
                    "gwaith ac unrhyw gyfnodau pontio gyda'r plentyn."
                ),
            },
        },
    },
}
