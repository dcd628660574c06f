"""Trauma Recovery Model frameworks shipped with the product (data for a migration).

Sources:
- YJB Cymru leaflet "Enhanced Case Management: our approach to complex cases in youth offending
  teams" (seed 003): the six practice stages, "It ain't what you do" and "Introducing the Trauma
  Recovery Model" pages.
- YJB practice guidance for YOTs implementing ECM (seed 004): the TRM section (Maslow; the model
  triangulates presenting behaviours, underlying need and intervention), Appendix 4 item 6
  (presentation / underlying need / intervention recommendation) and Appendix 5 (review template
  scoring TRM stages 1-6).
- Cordis Bright evaluation of the first Welsh ECM trial (seed 000), paragraphs 1.14-1.23 and
  Figure 3 (the seven levels, from the foundation of redeemability to self-determination).
- ORS evaluation phase one, four services in England (seed 001): "The Trauma Recovery Model
  (TRM)" section, "Use of the trauma recovery model as a framework for decision making and
  intervention planning", and Appendix 3 (The Trauma Recovery Model, updated 2018).
- Bangor University / Public Health Wales evaluation summary (seed 002): work adapted to the
  child's stage; restorative practice only after a relationship is built.

The model is a guide to sequencing work, not an outcome measure: children move up only when
the needs below are met, and they may drop back when life becomes unstable. Fields that no
source describes for a given stage are conservative summaries marked "# inferred".
"""

FRAMEWORKS = [
    {
        "code": "practice-stages",
        "version": 1,
        "name": "TRM practice stages (YJB practice guidance and leaflet)",
        "source": (
            "YJB Cymru leaflet 'Our approach to complex cases' (TRM stages); YJB ECM practice "
            "guidance, Appendices 4 and 5; detail from Cordis Bright evaluation paras 1.17-1.23"
        ),
        "description": (
            "The six stages used in YOT practice, as named in the YJB Cymru leaflet and scored "
            "1-6 in the ECM review template. A child must move through the earlier stages, "
            "which build structure, trust and safety, before work that challenges offending "
            "behaviour will help; movement is not linear and the stages are not an outcome measure."
        ),
        "stages": [
            {
                "number": 1,
                "name": "Get used to structure, boundaries and a routine",
                "presentation": (
                    "Life is chaotic and lacks the structure and routine often missing at home. "
                    "The child may act out aggressively, reject help and find it hard to engage "
                    "with professionals because they find relationships difficult."
                ),
                "underlying_need": (
                    "Basic physiological and safety needs: safe accommodation, regular meals "
                    "and bedtimes, personal hygiene, an educational routine, and consistent "
                    "boundaries and expectations of behaviour."
                ),
                "interventions": (
                    "Introduce the structure and routine often lacking at home and help to "
                    "establish it in everyday life. Deal first with immediate, pressing problems "
                    "that stand in the way of engaging with other work."
                ),
                "offence_focused_work": False,
            },
            {
                "number": 2,
                "name": "Build a positive and trusting relationship",
                "presentation": (
                    "Children whose early development was damaged have not learnt to trust; the "
                    "child may test the worker with anger and rejection before trust is built."
                ),
                "underlying_need": (
                    "The consistency of a safe, reliable and trusted adult, so that the child "
                    "can regain lost ground and experience the YOT as a secure base."
                ),
                "interventions": (
                    "Build trust through practitioner reliability, keeping the relationship "
                    "going while dealing with anger and rejection; this takes as long as "
                    "necessary. Shared activities, fun, praise and positive feedback help, "
                    "rather than sessions centred on offending."
                ),
                "offence_focused_work": False,
            },
            {
                "number": 3,
                "name": "Talk together about difficult issues",
                "presentation": (
                    "Once a safe and trusting relationship has been built and tested out, the "
                    "child begins to talk about the problems underlying their behaviour and may "
                    "disclose current or past trauma, such as bereavement, abuse, neglect, "
                    "exploitation or domestic violence."
                ),
                "underlying_need": (
                    "To feel safe enough to think about and put into words what has happened to "
                    "them, and to work through traumatic experiences and losses."
                ),
                "interventions": (
                    "Therapeutic input from practitioners and other specialists: talking in more "
                    "depth and revisiting difficult life experiences sensitively, with referral "
                    "to specialist therapeutic services where necessary."
                ),
                "offence_focused_work": False,
            },
            {
                "number": 4,
                "name": "Form insight and awareness",
                "presentation": (
                    "The child reaches self-awareness, gains insight into how their behaviour "
                    "affects others and begins to realise the harm they have done."
                ),
                "underlying_need": (
                    "To understand their current situation and behaviour and to address the "
                    "impact and implications of their offending."
                ),
                "interventions": (
                    "Offence-focused work on consequential thinking, empathy and restorative "
                    "approaches. Talking therapies such as cognitive behavioural work and anger "
                    "management fit now; used earlier they can harm the child's self-worth."
                ),
                "offence_focused_work": True,
            },
            {
                "number": 5,
                "name": "Plan for change",
                "presentation": (
                    "Self-awareness gives the child a platform to plan change in their own "
                    "behaviour; they show more self-belief and acceptance of their abilities and "
                    "potential."
                ),
                "underlying_need": (
                    "A significant amount of continued support to turn that self-belief into "
                    "sustained change."
                ),
                "interventions": (
                    "Guided goal setting, support into education, and a scaffolded approach to "
                    "structuring free time and community living, to maximise the chances of "
                    "sustained success."
                ),
                "offence_focused_work": True,
            },
            {
                "number": 6,
                "name": "Move on",
                "presentation": (
                    "The child moves on from offending and can live a healthy, independent life "
                    "in the community with low or no additional support."
                ),
                "underlying_need": (
                    "For the trusting relationship, support and guidance to continue, reducing "
                    "over time, so that gains are kept as the child becomes self-determining."
                ),
                "interventions": (
                    "Step support down gradually and plan the ending and any transitions with "
                    "the child, ready to step back up if life becomes unstable and the child "
                    "drops back."
                ),  # inferred
                "offence_focused_work": True,
            },
        ],
    },
    {
        "code": "trm-2018",
        "version": 1,
        "name": "Trauma Recovery Model (2018, seven levels)",
        "source": (
            "Skuse and Matthew, as described in the Cordis Bright evaluation paras 1.15-1.23 "
            "(Figure 3) and the ORS evaluation (TRM section; Appendix 3, updated 2018)"
        ),
        "description": (
            "Seven developmental levels, based on Maslow's hierarchy of needs, from a foundation "
            "of redeemability to self-determination. Progression to the next level only occurs "
            "when the needs of the level below have been met; the journey is not always linear "
            "and the model is not a tool for measuring outcomes."
        ),
        "stages": [
            {
                "number": 1,
                "name": "Foundation: redeemability",
                "presentation": (
                    "Applies to every child, whatever their presentation: the foundation is not "
                    "a behaviour the child shows but the basis on which all other work rests."
                ),  # inferred
                "underlying_need": (
                    "To be seen as redeemable: that the child can be supported to have a better "
                    "life and better outcomes."
                ),  # inferred
                "interventions": (
                    "Staff work from the belief that the child can change, treating offending as "
                    "a response to past trauma and working sensitively, empathetically and "
                    "non-punitively."
                ),  # inferred
                "offence_focused_work": False,
            },
            {
                "number": 2,
                "name": "Structure and routine",
                "presentation": (
                    "Basic physiological and safety needs are not reliably met, and daily life "
                    "lacks the structure and routine often missing at home."
                ),
                "underlying_need": (
                    "Basic physiological and safety needs, which must be met before healthy "
                    "psychological growth can occur."
                ),
                "interventions": (
                    "Support to establish structure and routine in everyday life: safe "
                    "accommodation, regular meals, regular bedtimes, personal hygiene, an "
                    "educational routine, and consistent boundaries and expectations of behaviour."
                ),
                "offence_focused_work": False,
            },
            {
                "number": 3,
                "name": "Relationships",
                "presentation": (
                    "As basic needs start to be met, the child becomes more ready for, and open "
                    "to, trusting relationships with appropriate adults."
                ),
                "underlying_need": (
                    "A strong, trusting relationship with a consistent, appropriate adult."
                ),
                "interventions": (
                    "Staff work with the child to build constructive relationships, instilling "
                    "consistency; this takes as long as necessary."
                ),
                "offence_focused_work": False,
            },
            {
                "number": 4,
                "name": "Trauma",
                "presentation": (
                    "With strong working relationships in place, the child starts to engage "
                    "with and disclose current or historical trauma, such as complex "
                    "bereavement, abuse, neglect, exploitation or domestic violence."
                ),
                "underlying_need": (
                    "To feel safe enough, perhaps for the first time, to think about and "
                    "articulate what has happened to them, and to work through traumatic "
                    "experiences and losses."
                ),
                "interventions": (
                    "Opportunities, sometimes over a long period, to talk in more depth and "
                    "revisit difficult experiences; staff work sensitively and refer to "
                    "specialist therapeutic interventions where necessary."
                ),
                "offence_focused_work": False,
            },
            {
                "number": 5,
                "name": "Consequential thinking, empathy and restorative work",
                "presentation": (
                    "Having worked through the first four levels, the child can begin to "
                    "understand their situation and behaviour, think about consequences, show "
                    "empathy and reflect on their choices."
                ),
                "underlying_need": (
                    "To understand their current situation and behaviour and to address the "
                    "impact and implications of their offences."
                ),
                "interventions": (
                    "Offence-focused work on consequential thinking skills, empathy and "
                    "restorative approaches, built on the existing relationship."
                ),
                "offence_focused_work": True,
            },
            {
                "number": 6,
                "name": "Self-belief",
                "presentation": (
                    "The child has an increased sense of self-belief and a greater acceptance of "
                    "their abilities and potential."
                ),
                "underlying_need": (
                    "A significant amount of continued support to maximise the chances of "
                    "sustained success."
                ),
                "interventions": (
                    "Guided goal setting, support into education, and a scaffolded approach to "
                    "structuring free time and community living."
                ),
                "offence_focused_work": True,
            },
            {
                "number": 7,
                "name": "Self-determination",
                "presentation": (
                    "The child achieves self-determination and lives a healthy, independent and "
                    "positive life in the community with low or no additional support."
                ),
                "underlying_need": (
                    "To keep the gains made as professional support reduces, with help available "
                    "again if life becomes unstable and they drop back."
                ),  # inferred
                "interventions": (
                    "Support is reduced to a low level or none; plan the ending and any "
                    "transitions with the child."
                ),  # inferred
                "offence_focused_work": True,
            },
        ],
    },
]
